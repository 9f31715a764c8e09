// The model files of ../../models, embedded into the binary byte for byte with C23 `#embed`, so a
// copied binary still has its models and no model is duplicated into Swift source. The compiler
// records each embedded file as a dependency: editing a model rebuilds this file.
// To ship another model: add it to models/ and one line below (a test fails when the two lists differ).
#include "ModelData.h"

#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char live_vs_vod[] = {
#embed "../../models/live-vs-vod.json"
};
static const unsigned char spotify_flow[] = {
#embed "../../models/spotify-flow.json"
};
static const unsigned char spotify_quality[] = {
#embed "../../models/spotify-quality.json"
};
static const unsigned char webcam_presence[] = {
#embed "../../models/webcam-presence.json"
};

static const streamprobe_model_file files[] = {
    {"live-vs-vod", live_vs_vod, sizeof live_vs_vod},
    {"spotify-flow", spotify_flow, sizeof spotify_flow},
    {"spotify-quality", spotify_quality, sizeof spotify_quality},
    {"webcam-presence", webcam_presence, sizeof webcam_presence},
};

const streamprobe_model_file *streamprobe_model_files(size_t *count) {
    *count = sizeof files / sizeof files[0];
    return files;
}
