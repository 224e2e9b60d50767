/* A disk slow to sync, for one process: loaded with LD_PRELOAD, it makes every fsync and
 * fdatasync of a file whose path contains SLOW_SYNC_MATCH wait SLOW_SYNC_MS first, and
 * appends "<thread name>\t<path>" to SLOW_SYNC_LOG for each. Busy disks make syncs slow (a
 * build linking beside the tests: 100-260 ms a sync, measured); this makes one slow on purpose
 * and says which thread waited. Built by the tests with `cc -shared` (tests/common/slow_sync.rs). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void slow(int fd) {
    const char *match = getenv("SLOW_SYNC_MATCH");
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, path, sizeof path - 1);
    if (len < 0 || match == NULL) return;
    path[len] = '\0';
    if (strstr(path, match) == NULL) return;

    const char *log = getenv("SLOW_SYNC_LOG");
    if (log != NULL) {
        char thread[17] = {0};
        prctl(PR_GET_NAME, thread, 0, 0, 0);
        char line[4200];
        int n = snprintf(line, sizeof line, "%s\t%s\n", thread, path);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (out >= 0) {
            if (write(out, line, n) < 0) { /* nothing to do: the test sees the line missing */ }
            close(out);
        }
    }
    const char *ms = getenv("SLOW_SYNC_MS");
    long wait = ms ? atol(ms) : 0;
    struct timespec pause = { wait / 1000, (wait % 1000) * 1000000L };
    while (nanosleep(&pause, &pause) != 0) {}
}

int fsync(int fd) {
    static int (*real)(int);
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    slow(fd);
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (real == NULL) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    slow(fd);
    return real(fd);
}
