// A stdio FILE over zlib's gzread (see CGzip.h). fopencookie is a GNU extension: _GNU_SOURCE first.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>
#include <zlib.h>
#include "CGzip.h"

static ssize_t gz_read(void *cookie, char *buffer, size_t size) {
    // gzread takes an unsigned int count: read at most 1 GiB per call.
    unsigned int n = size > (1u << 30) ? (1u << 30) : (unsigned int)size;
    int got = gzread((gzFile)cookie, buffer, n);
    if (got < 0) { errno = EIO; return -1; }   // corrupt compressed data: a read error for stdio
    return got;
}

static int gz_close(void *cookie) {
    return gzclose((gzFile)cookie) == Z_OK ? 0 : EOF;
}

FILE *streamprobe_gzip_fopen(const char *path) {
    gzFile gz = gzopen(path, "rb");
    if (!gz) return NULL;
    gzbuffer(gz, 256 * 1024);
    cookie_io_functions_t io = { .read = gz_read, .write = NULL, .seek = NULL, .close = gz_close };
    FILE *file = fopencookie(gz, "r", io);
    if (!file) { gzclose(gz); return NULL; }
    return file;
}

int streamprobe_gzip_head(const char *path, unsigned char *out, int count) {
    gzFile gz = gzopen(path, "rb");
    if (!gz) return -1;
    int got = gzread(gz, out, (unsigned int)count);
    gzclose(gz);
    return got;
}
