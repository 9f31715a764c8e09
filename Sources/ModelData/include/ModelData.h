#ifndef STREAMPROBE_MODEL_DATA_H
#define STREAMPROBE_MODEL_DATA_H

#include <stddef.h>

/// One model shipped inside the binary: its name (the file name without .json), the bytes of
/// models/NAME.json, and the bytes of its compiled form models/compiled/NAME.spmodel.
typedef struct {
    const char *name;
    const unsigned char *bytes;
    size_t length;
    const unsigned char *compiled;
    size_t compiled_length;
} streamprobe_model_file;

/// The embedded models, in name order; `*count` receives how many.
const streamprobe_model_file *streamprobe_model_files(size_t *count);

#endif
