#ifndef STREAMPROBE_MODEL_DATA_H
#define STREAMPROBE_MODEL_DATA_H

#include <stddef.h>

/// One model file shipped inside the binary: its name (the file name without .json) and its bytes.
typedef struct {
    const char *name;
    const unsigned char *bytes;
    size_t length;
} streamprobe_model_file;

/// The embedded model files, in name order; `*count` receives how many.
const streamprobe_model_file *streamprobe_model_files(size_t *count);

#endif
