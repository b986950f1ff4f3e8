// Change this text and save: tug watch restarts the server with it.
export const message = 'hello from tug watch';
