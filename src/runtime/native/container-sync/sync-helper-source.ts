// The C source of tug-sync, the small process that writes watch's changed
// files into one running container's own file system (built with the system
// C compiler on first use, as tug-shim is; container mode needs one already).
//
// Why C: a container's root, seen from the host as /proc/PID/root, holds the
// container's own symlinks, and an absolute one (/app/x -> /etc) resolves
// against the host's root when the host follows it: a plain write through
// /proc/PID/root can land in the host's /etc. Node has no openat, so it cannot
// walk a path relative to a directory it holds. tug-sync resolves every path
// with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) against the
// container's root: absolute links and ".." are resolved inside it, as the
// container itself would, and /proc magic links are refused. Every write then
// happens relative to a directory descriptor found that way (a new file under
// a temporary name, O_EXCL, renamed over the old one), so nothing the
// container does meanwhile can redirect it out of its root. A deletion never
// crosses into another file system mounted below it (a volume, a bind of a
// host directory): like `rm -rf --one-file-system`, it stops there (EXDEV).
//
// The root is checked before anything is written: /proc/PID/root must be the
// very directory the replica's bundle names as its root (same device and
// inode), so a pid reused by a host process is refused, never written into.
// A root the runtime mounted inside the container (an image's overlay) has no
// host directory to compare with: then the process's own mount table must
// show, at its "/", the overlay of that very device whose upper directory is
// the replica's.
//
// Protocol:
//   argv      tug-sync PID ROOT [UPPER] ROOT: the bundle's root.path on the host;
//                                       UPPER: the upperdir of the root's
//                                       overlay, as mountinfo escapes it
//   stdin     records "HOSTPATH\0TARGET\0", TARGET absolute in the container
//   stdout    one line per record: "c" (written), "r" (removed: gone on the
//             host), "s" (skipped: a socket or device), "e ERRNO TEXT"
//   exit      0 after end of input; 3 the root is not the container's; 4 no
//             openat2 (kernel before 5.6); 2 usage
export const SYNC_HELPER_SOURCE = String.raw`#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int root_fd = -1;
static unsigned long counter = 0;

static int in_root(const char *path, int flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (unsigned long long)(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  while (*path == '/') path++;
  if (*path == 0) path = ".";
  for (int tries = 0; tries < 16; tries++) {
    int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return fd;
  }
  return -1;
}

/* The directory that holds TARGET (with create, made like mkdir -p, owned uid:gid), and TARGET's last name. */
static int open_parent(char *target, const char **name, int create, uid_t uid, gid_t gid) {
  char *slash = strrchr(target, '/');
  if (!slash || slash[1] == 0) { errno = EINVAL; return -1; }
  *name = slash + 1;
  if (!strcmp(*name, ".") || !strcmp(*name, "..")) { errno = EINVAL; return -1; }
  *slash = 0;
  int fd = in_root(target, O_PATH | O_DIRECTORY);
  if (fd >= 0 || errno != ENOENT || !create) { int e = errno; *slash = '/'; errno = e; return fd; }
  /* Walk down from the root, making each missing directory in the one found before it. */
  int prev = in_root(".", O_PATH | O_DIRECTORY);
  char *p = target;
  while (prev >= 0) {
    while (*p == '/') p++;
    if (*p == 0) break;
    char *end = strchr(p, '/');
    if (end) *end = 0;
    fd = in_root(target, O_PATH | O_DIRECTORY);
    if (fd < 0 && errno == ENOENT) {
      if (mkdirat(prev, p, 0755) == 0) fchownat(prev, p, uid, gid, AT_SYMLINK_NOFOLLOW);
      else if (errno != EEXIST) { int e = errno; close(prev); if (end) *end = '/'; *slash = '/'; errno = e; return -1; }
      fd = in_root(target, O_PATH | O_DIRECTORY);
    }
    close(prev);
    prev = fd;
    if (end) { *end = '/'; p = end + 1; } else break;
  }
  *slash = '/';
  return prev;
}

/* Removes a directory and everything in it, never crossing into another file system (a volume or bind mounted inside). */
static int remove_tree(int dirfd, const char *name, dev_t dev) {
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat self;
  if (fstat(fd, &self) != 0 || self.st_dev != dev) { close(fd); errno = EXDEV; return -1; }
  DIR *dir = fdopendir(fd);
  if (!dir) { close(fd); return -1; }
  struct dirent *e;
  int failed = 0;
  while ((e = readdir(dir)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    struct stat st;
    if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    int r = S_ISDIR(st.st_mode) ? remove_tree(fd, e->d_name, dev) : unlinkat(fd, e->d_name, 0);
    if (r != 0 && errno != ENOENT) failed = errno;
  }
  closedir(dir);
  if (failed) { errno = failed; return -1; }
  return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* A directory at name in parent removed with its content, on parent's file system only. */
static int remove_dir(int parent, const char *name) {
  struct stat st;
  if (fstat(parent, &st) != 0) return -1;
  return remove_tree(parent, name, st.st_dev);
}

/* Removes whatever is at name in parent: a file or link unlinked, a directory with everything in it. */
static int remove_entry(int parent, const char *name) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? 0 : -1;
  return S_ISDIR(st.st_mode) ? remove_dir(parent, name) : unlinkat(parent, name, 0);
}

static int copy_content(int from, int to) {
  static char buf[1 << 17];
  for (;;) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n == 0) return 0;
    if (n < 0) { if (errno == EINTR) continue; return -1; }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(to, buf + done, (size_t)(n - done));
      if (w < 0) { if (errno == EINTR) continue; return -1; }
      done += w;
    }
  }
}

/* Puts a new entry made under tmp in parent at name, replacing what is there (a directory is removed first). */
static int replace_with(int parent, const char *tmp, const char *name) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) && remove_dir(parent, name) != 0) {
    int e = errno; unlinkat(parent, tmp, 0); errno = e; return -1;
  }
  if (renameat(parent, tmp, parent, name) != 0) { int e = errno; unlinkat(parent, tmp, 0); errno = e; return -1; }
  return 0;
}

static int place_file(const char *host, const struct stat *st, int parent, const char *name, const char *tmp) {
  int from = open(host, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (from < 0) return -1;
  int to = openat(parent, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (to < 0) { int e = errno; close(from); errno = e; return -1; }
  int r = copy_content(from, to);
  /* chown first: it clears set-id bits the mode may then restore. */
  if (r == 0) r = fchown(to, st->st_uid, st->st_gid);
  if (r == 0) r = fchmod(to, st->st_mode & 07777);
  int e = errno;
  close(from);
  if (close(to) != 0 && r == 0) { r = -1; e = errno; }
  if (r != 0) { unlinkat(parent, tmp, 0); errno = e; return -1; }
  return replace_with(parent, tmp, name);
}

static int place_link(const char *host, const struct stat *st, int parent, const char *name, const char *tmp) {
  char text[4096];
  ssize_t n = readlink(host, text, sizeof text - 1);
  if (n < 0) return -1;
  text[n] = 0;
  if (symlinkat(text, parent, tmp) != 0) return -1;
  fchownat(parent, tmp, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
  return replace_with(parent, tmp, name);
}

static int place_dir(const struct stat *st, int parent, const char *name) {
  struct stat cur;
  if (fstatat(parent, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(cur.st_mode) && unlinkat(parent, name, 0) != 0) return -1;
  if (mkdirat(parent, name, 0700) != 0 && errno != EEXIST) return -1;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  int r = fchown(fd, st->st_uid, st->st_gid);
  if (r == 0) r = fchmod(fd, st->st_mode & 07777);
  int e = errno;
  close(fd);
  errno = e;
  return r;
}

/* One record: the host path as it is now, brought to target. Returns the reply's letter, or 0 with errno set. */
static char sync_one(const char *host, char *target) {
  struct stat st;
  int gone = lstat(host, &st) != 0;
  if (gone && errno != ENOENT) return 0;
  if (!gone && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode)) return 's';
  const char *name;
  int parent = gone ? open_parent(target, &name, 0, 0, 0) : open_parent(target, &name, 1, st.st_uid, st.st_gid);
  if (parent < 0) return (gone && errno == ENOENT) ? 'r' : 0;
  char tmp[64];
  snprintf(tmp, sizeof tmp, ".tug-sync-%ld-%lu", (long)getpid(), counter++);
  int r;
  if (gone) r = remove_entry(parent, name);
  else if (S_ISDIR(st.st_mode)) r = place_dir(&st, parent, name);
  else if (S_ISLNK(st.st_mode)) r = place_link(host, &st, parent, name, tmp);
  else r = place_file(host, &st, parent, name, tmp);
  int e = errno;
  close(parent);
  errno = e;
  if (r != 0) return 0;
  return gone ? 'r' : 'c';
}

/* Reads one NUL-terminated field of stdin into a growing buffer; 0 at end of input. */
static int read_field(char **buf, size_t *cap) {
  size_t n = 0;
  int c;
  while ((c = getchar()) != EOF) {
    if (n + 1 >= *cap) {
      *cap = *cap ? *cap * 2 : 4096;
      *buf = realloc(*buf, *cap);
      if (!*buf) exit(1);
    }
    if (c == 0) { (*buf)[n] = 0; return 1; }
    (*buf)[n++] = (char)c;
  }
  return 0;
}

/* Whether /proc/PID/mountinfo has, at "/", an overlay of device dev with upperdir exactly upper. */
static int rooted_in_overlay(const char *pid, dev_t dev, const char *upper) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%ld/mountinfo", strtol(pid, NULL, 10));
  FILE *f = fopen(path, "re");
  if (!f) return 0;
  char *line = NULL;
  size_t cap = 0, ulen = strlen(upper);
  int ok = 0;
  while (!ok && getline(&line, &cap, f) > 0) {
    unsigned maj, min;
    char point[8];
    if (sscanf(line, "%*u %*u %u:%u %*s %7s", &maj, &min, point) != 3) continue;
    if (strcmp(point, "/") != 0 || makedev(maj, min) != dev) continue;
    char *sep = strstr(line, " - ");
    if (!sep || strncmp(sep + 3, "overlay ", 8) != 0) continue;
    char *opts = strchr(sep + 11, ' ');
    if (!opts) continue;
    for (char *at = strstr(opts, ",upperdir="); at; at = strstr(at + 1, ",upperdir=")) {
      char end = at[10 + ulen];
      if (strncmp(at + 10, upper, ulen) == 0 && (end == ',' || end == '\n' || end == '\0')) { ok = 1; break; }
    }
  }
  free(line);
  fclose(f);
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) { fprintf(stderr, "usage: tug-sync PID ROOT [UPPER]\n"); return 2; }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/%ld/root", strtol(argv[1], NULL, 10));
  root_fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) { fprintf(stderr, "cannot open %s: %s\n", proc, strerror(errno)); return 3; }
  struct stat held, bundle, host;
  if (fstat(root_fd, &held) != 0 || stat("/", &host) != 0 || (argc == 3 && stat(argv[2], &bundle) != 0)) { fprintf(stderr, "cannot compare roots: %s\n", strerror(errno)); return 3; }
  int same = argc == 4 ? rooted_in_overlay(argv[1], held.st_dev, argv[3]) : held.st_dev == bundle.st_dev && held.st_ino == bundle.st_ino;
  if (!same || (held.st_dev == host.st_dev && held.st_ino == host.st_ino)) {
    fprintf(stderr, "process %s is not rooted in %s\n", argv[1], argv[2]);
    return 3;
  }
  struct open_how probe;
  memset(&probe, 0, sizeof probe);
  probe.flags = O_PATH | O_CLOEXEC;
  probe.resolve = RESOLVE_IN_ROOT;
  int fd = (int)syscall(SYS_openat2, root_fd, ".", &probe, sizeof probe);
  if (fd < 0 && errno == ENOSYS) { fprintf(stderr, "openat2 is not available (Linux 5.6 or later is needed)\n"); return 4; }
  if (fd >= 0) close(fd);
  setvbuf(stdout, NULL, _IOLBF, 0);
  umask(0);
  char *host_path = NULL, *target = NULL;
  size_t host_cap = 0, target_cap = 0;
  while (read_field(&host_path, &host_cap) && read_field(&target, &target_cap)) {
    char r = sync_one(host_path, target);
    if (r) printf("%c\n", r);
    else printf("e %d %s\n", errno, strerror(errno));
  }
  return 0;
}
`;
