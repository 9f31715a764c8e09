// The model files of ../../models, embedded into the binary byte for byte with C23 `#embed`, so a
// copied binary still has its models and no model is duplicated into Swift source. Each model is
// embedded twice: its JSON file, and its compiled form (models/compiled/NAME.spmodel, the same
// document in binary, made by scripts/compile-models.sh), which loads without JSON parsing. The
// compiler records each embedded file as a dependency: editing a model rebuilds this file.
// To ship another model: add it to models/, run scripts/compile-models.sh, and add its lines below
// (tests fail when the lists differ or a compiled file is not that of its JSON).
#include "ModelData.h"

#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char live_vs_vod[] = {
#embed "../../models/live-vs-vod.json"
};
static const unsigned char live_vs_vod_compiled[] = {
#embed "../../models/compiled/live-vs-vod.spmodel"
};
static const unsigned char spotify_flow[] = {
#embed "../../models/spotify-flow.json"
};
static const unsigned char spotify_flow_compiled[] = {
#embed "../../models/compiled/spotify-flow.spmodel"
};
static const unsigned char spotify_quality[] = {
#embed "../../models/spotify-quality.json"
};
static const unsigned char spotify_quality_compiled[] = {
#embed "../../models/compiled/spotify-quality.spmodel"
};
static const unsigned char webcam_presence[] = {
#embed "../../models/webcam-presence.json"
};
static const unsigned char webcam_presence_compiled[] = {
#embed "../../models/compiled/webcam-presence.spmodel"
};

#define MODEL(name, id) {name, id, sizeof id, id##_compiled, sizeof id##_compiled}

static const streamprobe_model_file files[] = {
    MODEL("live-vs-vod", live_vs_vod),
    MODEL("spotify-flow", spotify_flow),
    MODEL("spotify-quality", spotify_quality),
    MODEL("webcam-presence", webcam_presence),
};

const streamprobe_model_file *streamprobe_model_files(size_t *count) {
    *count = sizeof files / sizeof files[0];
    return files;
}
