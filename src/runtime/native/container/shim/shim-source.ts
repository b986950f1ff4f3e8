// The C source of tug-shim, the small process that supervises one container
// (built by shim-binary.ts with the system C compiler, on first use).
//
// Why it exists: detached runc keeps no exit code (the container's parent
// becomes PID 1), and a foreground `runc run` costs about 10 MB per container.
// The shim is a child subreaper: it runs `runc run -d`, so runc exits once the
// container started and the container is re-parented to the shim, which reaps
// it and reports its status. The container writes straight into the engine's
// pipes (fds 1 and 2, passed through by runc): no copying, so the shim stays
// tiny (measured under 1 MB RSS, nearly all of it shared binary pages).
//
// Protocol, all in decimal text lines:
//   argv      tug-shim PIDFILE RUNTIME ARGS...   (ARGS end with `run -d --pid-file PIDFILE ... ID`)
//   fd 0  in  a signal number per line, delivered to the container's init;
//             end of file (the engine is gone, even by SIGKILL) = SIGKILL it
//   fd 3  out "shim N" (its own pid) first, "pid N" once started, then
//             "exit S" (S = code, or 128 + signal); "failed S" when the
//             runtime itself failed with status S
//   exit      S as above, 125 when the runtime failed
//
// Launcher mode starts many shims from one process the engine spawns (each
// spawn costs the engine's event loop 5-12 ms: fork of a large process, then a
// wait for the child's exec):
//   argv      tug-shim --launch N  COUNT PIDFILE RUNTIME ARGS...  (N groups,
//             COUNT = the words of the group after it)
//   fds       3+4i .. 6+4i are shim i's fds 0, 1, 2 and 3
// It forks shim i with those fds in place (and no other of the batch), in a
// session of its own, where it execs itself as a plain shim (its own argv in
// ps); then it closes its copies, reaps the shims as they exit, and exits
// after the last. A shim it could not fork gets "failed 254" on its fd 3.
export const SHIM_SOURCE = String.raw`#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *word, long value) {
  char buf[48];
  size_t n = strlen(word);
  memcpy(buf, word, n);
  buf[n++] = ' ';
  char digits[24];
  int d = 0;
  if (value < 0) value = 0;
  do { digits[d++] = (char)('0' + value % 10); value /= 10; } while (value > 0);
  while (d > 0) buf[n++] = digits[--d];
  buf[n++] = '\n';
  (void)!write(3, buf, n);
}

static long parse(const char *s, size_t len) {
  long v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
    if (v > 1000000000L) return -1;
  }
  return len > 0 ? v : -1;
}

static int status_of(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

static long read_pidfile(const char *path) {
  char buf[32];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n <= 0) return -1;
  size_t len = 0;
  while (len < (size_t)n && buf[len] >= '0' && buf[len] <= '9') len++;
  return parse(buf, len);
}

/* args: PIDFILE RUNTIME ARGS..., NULL-terminated. */
static int shim(char **args) {
  signal(SIGPIPE, SIG_IGN);
  say("shim", (long)getpid());
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 2;
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(3, F_SETFD, FD_CLOEXEC);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (sfd < 0) return 2;
  pid_t runtime = fork();
  if (runtime < 0) return 2;
  if (runtime == 0) {
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    int null = open("/dev/null", O_RDONLY);
    if (null >= 0) dup2(null, 0);
    execv(args[1], args + 1);
    _exit(127);
  }
  pid_t container = 0;
  int engine_gone = 0;
  char line[64];
  size_t used = 0;
  struct pollfd fds[2] = {{sfd, POLLIN, 0}, {0, POLLIN, 0}};
  for (;;) {
    if (poll(fds, engine_gone ? 1 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 2;
    }
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      (void)!read(sfd, &si, sizeof si);
      int st;
      pid_t p;
      while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        if (p == runtime) {
          runtime = 0;
          if (status_of(st) != 0) { say("failed", status_of(st)); return 125; }
          long v = read_pidfile(args[0]);
          if (v <= 1) { say("failed", 255); return 125; }
          container = (pid_t)v;
          say("pid", v);
          if (engine_gone) kill(container, SIGKILL);
        } else if (p == container) {
          say("exit", status_of(st));
          return status_of(st);
        }
      }
    }
    if (!engine_gone && fds[1].revents) {
      ssize_t n = read(0, line + used, sizeof line - used);
      if (n <= 0) {
        engine_gone = 1;
        if (container) kill(container, SIGKILL);
        continue;
      }
      used += (size_t)n;
      char *nl;
      while ((nl = memchr(line, '\n', used)) != NULL) {
        long sig = parse(line, (size_t)(nl - line));
        if (container && sig > 0 && sig < 65) kill(container, (int)sig);
        size_t rest = used - (size_t)(nl + 1 - line);
        memmove(line, nl + 1, rest);
        used = rest;
      }
      if (used == sizeof line) used = 0;
    }
  }
}

static int launch(int argc, char **argv) {
  long n = parse(argv[2], strlen(argv[2]));
  if (n <= 0 || n > 256) return 2;
  int last = 3 + 4 * (int)n;
  int idx = 3;
  int failed = 0;
  for (int i = 0; i < n; i++) {
    if (idx >= argc) return 2;
    long count = parse(argv[idx], strlen(argv[idx]));
    if (count < 2 || idx + 1 + count > argc) return 2;
    char **args = argv + idx + 1;
    int base = 3 + 4 * i;
    pid_t p = fork();
    if (p < 0) {
      (void)!write(base + 3, "failed 254\n", 11);
      failed = 1;
    } else if (p == 0) {
      args[count] = NULL;
      for (int k = 0; k < 4; k++) if (dup2(base + k, k) < 0) _exit(2);
      for (int fd = 4; fd < last; fd++) close(fd);
      setsid();
      /* As a shim of its own (its own argv in ps and /proc), in place of the group's COUNT word. */
      args[-1] = argv[0];
      execv("/proc/self/exe", args - 1);
      _exit(shim(args));
    }
    idx += 1 + (int)count;
  }
  /* The shims' fds are theirs alone now (an end of file must reach the engine when a shim exits), and the
     launcher stays their parent to reap them: a PID 1 that does not reap (a container without an init) would
     otherwise collect them as zombies. */
  for (int fd = 3; fd < last; fd++) close(fd);
  while (wait(NULL) > 0 || errno == EINTR) {}
  return failed;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "--launch") == 0) return launch(argc, argv);
  if (argc < 3) { (void)!write(2, "usage: tug-shim PIDFILE RUNTIME ARGS...\n", 40); return 2; }
  return shim(argv + 1);
}
`;
