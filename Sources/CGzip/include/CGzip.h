#ifndef STREAMPROBE_CGZIP_H
#define STREAMPROBE_CGZIP_H

#include <stdio.h>

/// Opens a gzip-compressed file for reading as a stdio stream of its decompressed bytes (zlib's
/// gzread behind glibc's fopencookie), so libpcap reads `capture.pcap.gz` as it reads a pipe:
/// in one pass, in constant memory. Returns NULL with errno set when the file cannot be opened.
/// fclose() closes the compressed file too.
FILE *streamprobe_gzip_fopen(const char *path);

/// The first `count` decompressed bytes of a gzip-compressed file into `out`; returns how many were
/// read, or -1 when the file cannot be opened.
int streamprobe_gzip_head(const char *path, unsigned char *out, int count);

#endif
