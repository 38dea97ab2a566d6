// pyengine core: version, parameters and error types shared by every header.
#ifndef PYENGINE_CONFIG_HPP
#define PYENGINE_CONFIG_HPP

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#define PYENGINE_VERSION_MAJOR 0
#define PYENGINE_VERSION_MINOR 1
#define PYENGINE_VERSION_PATCH 0
#define PYENGINE_VERSION_STRING "0.1.0"

namespace pyengine {

constexpr int kLandmarks = 33;        // BlazePose landmarks per pose
constexpr int kDims = 3;              // x, y, z
constexpr int kCoords = kLandmarks * kDims;  // 99 floats per pose
constexpr int kEmbeddingRows = 23;    // SPEC 3 step 4
constexpr int kEmbeddingSize = kEmbeddingRows * kDims;  // 69 floats per embedding

// What went wrong, for callers that map errors to codes of their own (the C ABI's
// statuses, Python exception types) without reading the message.
enum class ErrorCode {
    invalid_argument,  // a bad argument or setting (InvalidArgumentError)
    io,                // a sample file or folder is missing or unreadable
    parse,             // a sample file is malformed (the message names file, line, field)
    invalid_sample,    // a training sample cannot be embedded (NaN/inf or zero pose size)
};

// Base of every error the core throws on purpose; what() is the message for the user.
class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

// A bad argument or setting; the message names it and its value.
struct InvalidArgumentError : Error {
    explicit InvalidArgumentError(const std::string& message)
        : Error(ErrorCode::invalid_argument, message) {}
};

// A training-sample CSV (or folder of CSVs) cannot be read (ErrorCode::io), is malformed
// (parse), or holds a sample that cannot be embedded (invalid_sample); the message names
// the file, and the line and field where there is one.
struct SampleFileError : Error {
    SampleFileError(ErrorCode code, const std::string& message) : Error(code, message) {}
};

// A training sample given in memory cannot be embedded (NaN/inf or zero pose size).
struct InvalidSampleError : Error {
    explicit InvalidSampleError(const std::string& message)
        : Error(ErrorCode::invalid_sample, message) {}
};

// Classifier settings (SPEC 3-4); the defaults are the published ones.
struct Params {
    int top_n_by_max_distance = 30;
    int top_n_by_mean_distance = 10;
    double axes_weights[3] = {1.0, 1.0, 0.2};
    double torso_size_multiplier = 2.5;

    // Throws InvalidArgumentError naming the offending setting.
    void validate() const {
        if (top_n_by_max_distance < 1)
            throw InvalidArgumentError("top_n_by_max_distance must be >= 1, got " +
                                        std::to_string(top_n_by_max_distance));
        if (top_n_by_mean_distance < 1)
            throw InvalidArgumentError("top_n_by_mean_distance must be >= 1, got " +
                                        std::to_string(top_n_by_mean_distance));
        for (int a = 0; a < 3; ++a) {
            if (!std::isfinite(axes_weights[a]) || !(axes_weights[a] >= 0.0))
                throw InvalidArgumentError("axes_weights[" + std::to_string(a) +
                                            "] must be finite and >= 0, got " +
                                            std::to_string(axes_weights[a]));
        }
        if (!std::isfinite(torso_size_multiplier) || !(torso_size_multiplier >= 0.0))
            throw InvalidArgumentError("torso_size_multiplier must be finite and >= 0, got " +
                                        std::to_string(torso_size_multiplier));
    }
};

}  // namespace pyengine

#endif  // PYENGINE_CONFIG_HPP
