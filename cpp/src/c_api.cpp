// The C ABI (pyengine.h) over the header-only core. Every entry point catches every
// exception and turns it into a status code plus a thread-local message.
#include "pyengine/pyengine.h"

#include <exception>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#include "pyengine/core.hpp"

struct pyengine_classifier {
    pyengine::Classifier impl;
};
struct pyengine_smoother {
    pyengine::EMASmoothing impl;
};
struct pyengine_counter {
    pyengine::RepetitionCounter impl;
};

namespace {

thread_local std::string g_last_error;

int32_t fail(int32_t status, const std::string& message) {
    try {
        g_last_error = message;
    } catch (...) {
    }
    return status;
}

int32_t status_of(pyengine::ErrorCode code) {
    switch (code) {
        case pyengine::ErrorCode::invalid_argument: return PYENGINE_ERR_INVALID_ARGUMENT;
        case pyengine::ErrorCode::io: return PYENGINE_ERR_IO;
        case pyengine::ErrorCode::parse: return PYENGINE_ERR_PARSE;
        case pyengine::ErrorCode::invalid_sample: return PYENGINE_ERR_INVALID_SAMPLE;
    }
    return PYENGINE_ERR_INTERNAL;
}

// Runs fn(); maps exceptions to status codes: the core's errors by their code, anything
// else as out of memory or internal.
template <typename Fn>
int32_t guarded(Fn&& fn) {
    try {
        g_last_error.clear();
        return fn();
    } catch (const pyengine::Error& e) {
        return fail(status_of(e.code()), e.what());
    } catch (const std::bad_alloc&) {
        return fail(PYENGINE_ERR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        return fail(PYENGINE_ERR_INTERNAL, e.what());
    } catch (...) {
        return fail(PYENGINE_ERR_INTERNAL, "unknown internal error");
    }
}

// The C struct as validated core settings (the defaults when p is NULL).
pyengine::Params to_params(const pyengine_params* p) {
    pyengine::Params out;
    if (p) {
        out.top_n_by_max_distance = p->top_n_by_max_distance;
        out.top_n_by_mean_distance = p->top_n_by_mean_distance;
        for (int a = 0; a < 3; ++a) out.axes_weights[a] = p->axes_weights[a];
        out.torso_size_multiplier = p->torso_size_multiplier;
    }
    out.validate();
    return out;
}

pyengine_params from_params(const pyengine::Params& p) {
    pyengine_params out;
    out.top_n_by_max_distance = p.top_n_by_max_distance;
    out.top_n_by_mean_distance = p.top_n_by_mean_distance;
    for (int a = 0; a < 3; ++a) out.axes_weights[a] = p.axes_weights[a];
    out.torso_size_multiplier = p.torso_size_multiplier;
    return out;
}

// A bad argument: guarded() turns it into PYENGINE_ERR_INVALID_ARGUMENT and `message`.
void require(bool ok, const char* message) {
    if (!ok) throw pyengine::InvalidArgumentError(message);
}

// Runs make() under guarded(): *out receives the new handle, or NULL on any failure.
template <class Handle, class Make>
int32_t create(Handle** out, Make&& make) {
    return guarded([&]() -> int32_t {
        require(out != nullptr, "out must not be NULL");
        *out = nullptr;
        *out = make();
        return PYENGINE_OK;
    });
}

}  // namespace

extern "C" {

const char* pyengine_version(void) { return PYENGINE_VERSION_STRING; }

int32_t pyengine_version_number(void) {
    return PYENGINE_VERSION_MAJOR * 10000 + PYENGINE_VERSION_MINOR * 100 + PYENGINE_VERSION_PATCH;
}

const char* pyengine_last_error(void) { return g_last_error.c_str(); }

const char* pyengine_status_string(int32_t status) {
    switch (status) {
        case PYENGINE_OK: return "ok";
        case PYENGINE_NO_POSE: return "no pose";
        case PYENGINE_ERR_INVALID_ARGUMENT: return "invalid argument";
        case PYENGINE_ERR_IO: return "file not found or unreadable";
        case PYENGINE_ERR_PARSE: return "malformed sample file";
        case PYENGINE_ERR_INVALID_SAMPLE: return "a sample cannot be embedded";
        case PYENGINE_ERR_BUFFER_TOO_SMALL: return "buffer too small";
        case PYENGINE_ERR_OUT_OF_MEMORY: return "out of memory";
        case PYENGINE_ERR_INTERNAL: return "internal error";
        default: return "unknown status";
    }
}

void pyengine_params_default(pyengine_params* params) {
    if (params) *params = from_params(pyengine::Params());
}

void pyengine_settings_default(pyengine_settings* settings) {
    if (!settings) return;
    const pyengine::Settings d;
    settings->classifier = from_params(d.classifier);
    settings->window_size = d.smoothing.window_size;
    settings->alpha = d.smoothing.alpha;
    settings->enter_threshold = d.counter.enter_threshold;
    settings->exit_threshold = d.counter.exit_threshold;
}

int32_t pyengine_settings_validate(const pyengine_settings* settings) {
    return guarded([&]() -> int32_t {
        require(settings, "settings must not be NULL");
        pyengine::Settings s;
        s.classifier = to_params(&settings->classifier);
        s.smoothing.window_size = settings->window_size;
        s.smoothing.alpha = settings->alpha;
        s.counter.enter_threshold = settings->enter_threshold;
        s.counter.exit_threshold = settings->exit_threshold;
        s.validate();
        return PYENGINE_OK;
    });
}

int32_t pyengine_classifier_create_from_csv(const char* path, const pyengine_params* params,
                                            pyengine_classifier** out) {
    return create(out, [&] {
        require(path != nullptr, "path must not be NULL");
        const pyengine::Params p = to_params(params);
        const pyengine::SampleSet samples = pyengine::load_samples(path);
        return new pyengine_classifier{pyengine::make_classifier(samples, p)};
    });
}

int32_t pyengine_classifier_create_from_ids(const float* landmarks, int32_t n_samples,
                                            const int32_t* class_ids, int32_t n_classes,
                                            const char* const* class_names,
                                            const pyengine_params* params,
                                            pyengine_classifier** out) {
    return create(out, [&] {
        require(n_samples >= 1, "n_samples must be >= 1");
        require(n_classes >= 1, "n_classes must be >= 1");
        require(landmarks && class_ids && class_names,
                "landmarks, class_ids and class_names must not be NULL");
        std::vector<std::string> names;
        for (int32_t c = 0; c < n_classes; ++c) {
            if (!class_names[c])
                throw pyengine::InvalidArgumentError("class_names[" + std::to_string(c) +
                                                     "] is NULL");
            names.emplace_back(class_names[c]);
        }
        const pyengine::Params p = to_params(params);
        return new pyengine_classifier{pyengine::Classifier(
            landmarks, static_cast<std::size_t>(n_samples), class_ids, n_classes, p, names)};
    });
}

int32_t pyengine_classifier_create_from_labels(const float* landmarks, int32_t n_samples,
                                               const char* const* labels,
                                               const pyengine_params* params,
                                               pyengine_classifier** out) {
    return create(out, [&] {
        require(n_samples >= 1, "n_samples must be >= 1");
        require(landmarks && labels, "landmarks and labels must not be NULL");
        std::vector<std::string> names;
        std::unordered_map<std::string, int32_t> index;
        std::vector<int32_t> ids(static_cast<std::size_t>(n_samples));
        for (int32_t s = 0; s < n_samples; ++s) {
            if (!labels[s])
                throw pyengine::InvalidArgumentError("labels[" + std::to_string(s) + "] is NULL");
            auto it = index.find(labels[s]);
            if (it == index.end()) {
                it = index.emplace(labels[s], static_cast<int32_t>(names.size())).first;
                names.emplace_back(labels[s]);
            }
            ids[static_cast<std::size_t>(s)] = it->second;
        }
        const pyengine::Params p = to_params(params);
        return new pyengine_classifier{pyengine::Classifier(
            landmarks, static_cast<std::size_t>(n_samples), ids.data(),
            static_cast<int>(names.size()), p, names)};
    });
}

void pyengine_classifier_destroy(pyengine_classifier* classifier) { delete classifier; }

int32_t pyengine_classifier_n_classes(const pyengine_classifier* c) {
    return c ? c->impl.n_classes() : 0;
}
int32_t pyengine_classifier_n_samples(const pyengine_classifier* c) {
    return c ? static_cast<int32_t>(c->impl.n_samples()) : 0;
}
int32_t pyengine_classifier_n_neighbours(const pyengine_classifier* c) {
    return c ? static_cast<int32_t>(c->impl.k()) : 0;
}

const char* pyengine_classifier_class_name(const pyengine_classifier* c, int32_t index) {
    if (!c || index < 0 || index >= c->impl.n_classes()) return nullptr;
    const auto& names = c->impl.class_names();
    if (static_cast<std::size_t>(index) >= names.size()) return nullptr;
    return names[static_cast<std::size_t>(index)].c_str();
}

int32_t pyengine_classifier_class_index(const pyengine_classifier* c, const char* name) {
    if (!c || !name) return -1;
    const auto& names = c->impl.class_names();
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<int32_t>(i);
    return -1;
}

int32_t pyengine_classify(const pyengine_classifier* c, const float* landmarks, int32_t* counts,
                          int32_t counts_len) {
    return guarded([&]() -> int32_t {
        require(c && landmarks && counts, "classifier, landmarks and counts must not be NULL");
        if (counts_len < c->impl.n_classes())
            return fail(PYENGINE_ERR_BUFFER_TOO_SMALL,
                        "counts_len " + std::to_string(counts_len) + " < n_classes " +
                            std::to_string(c->impl.n_classes()));
        return c->impl.counts(landmarks, counts) ? PYENGINE_OK : PYENGINE_NO_POSE;
    });
}

int32_t pyengine_classify_neighbours(const pyengine_classifier* c, const float* landmarks,
                                     int32_t* indices, int32_t indices_len) {
    return guarded([&]() -> int32_t {
        require(c && landmarks && indices, "classifier, landmarks and indices must not be NULL");
        if (indices_len < 0 || static_cast<std::size_t>(indices_len) < c->impl.k())
            return fail(PYENGINE_ERR_BUFFER_TOO_SMALL,
                        "indices_len " + std::to_string(indices_len) + " < n_neighbours " +
                            std::to_string(c->impl.k()));
        return c->impl.neighbours(landmarks, indices) ? PYENGINE_OK : PYENGINE_NO_POSE;
    });
}

int32_t pyengine_classify_batch(const pyengine_classifier* c, const float* landmarks,
                                int32_t n_frames, int32_t* counts, uint8_t* valid) {
    return guarded([&]() -> int32_t {
        require(c, "classifier must not be NULL");
        require(n_frames >= 0, "n_frames must be >= 0");
        if (n_frames == 0) return PYENGINE_OK;
        require(landmarks && counts, "landmarks and counts must not be NULL");
        c->impl.counts_batch(landmarks, static_cast<std::size_t>(n_frames), counts, valid);
        return PYENGINE_OK;
    });
}

int32_t pyengine_embed(const float* landmarks, double torso_size_multiplier, float* out) {
    return guarded([&]() -> int32_t {
        require(landmarks && out, "landmarks and out must not be NULL");
        pyengine::validate_torso_size_multiplier(torso_size_multiplier);
        return pyengine::embed(landmarks, torso_size_multiplier, out) ? PYENGINE_OK
                                                                      : PYENGINE_NO_POSE;
    });
}

int32_t pyengine_smoother_create(int32_t n_classes, int32_t window_size, double alpha,
                                 pyengine_smoother** out) {
    return create(out, [&] {
        return new pyengine_smoother{pyengine::EMASmoothing(n_classes, window_size, alpha)};
    });
}

void pyengine_smoother_destroy(pyengine_smoother* s) { delete s; }

int32_t pyengine_smoother_update(pyengine_smoother* s, const int32_t* counts, double* smoothed) {
    return guarded([&]() -> int32_t {
        require(s && smoothed, "smoother and smoothed must not be NULL");
        s->impl.update(counts, smoothed);
        return PYENGINE_OK;
    });
}

int32_t pyengine_smoother_reset(pyengine_smoother* s) {
    return guarded([&]() -> int32_t {
        require(s, "smoother must not be NULL");
        s->impl.reset();
        return PYENGINE_OK;
    });
}

int32_t pyengine_counter_create(double enter_threshold, double exit_threshold,
                                pyengine_counter** out) {
    return create(out, [&] {
        return new pyengine_counter{pyengine::RepetitionCounter(enter_threshold, exit_threshold)};
    });
}

void pyengine_counter_destroy(pyengine_counter* c) { delete c; }

int32_t pyengine_counter_update(pyengine_counter* c, int32_t has_pose, double confidence,
                                int32_t* n_repeats) {
    return guarded([&]() -> int32_t {
        require(c, "counter must not be NULL");
        const int n = has_pose ? c->impl.update(confidence) : c->impl.update_no_pose();
        if (n_repeats) *n_repeats = n;
        return PYENGINE_OK;
    });
}

int32_t pyengine_counter_n_repeats(const pyengine_counter* c) { return c ? c->impl.n_repeats() : 0; }
int32_t pyengine_counter_in_pose(const pyengine_counter* c) {
    return c ? (c->impl.pose_entered() ? 1 : 0) : 0;
}
int32_t pyengine_counter_reset(pyengine_counter* c) {
    return guarded([&]() -> int32_t {
        require(c, "counter must not be NULL");
        c->impl.reset();
        return PYENGINE_OK;
    });
}

}  // extern "C"
