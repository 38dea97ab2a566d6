// pyengine core: the errors it throws, each with a code, and how messages write values.
#ifndef PYENGINE_ERRORS_HPP
#define PYENGINE_ERRORS_HPP

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace pyengine {

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

namespace detail {

// `value` as Python's repr() writes a float (the shortest digits that read back to it;
// "0.2", "10.0", "1e-07", "nan"), so that messages show the value the user gave and read
// like the Python front end's.
inline std::string format_number(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buf[32];
    for (int digits = 1; digits <= 17; ++digits) {
        std::snprintf(buf, sizeof buf, "%.*e", digits - 1, value);
        if (std::strtod(buf, nullptr) == value) break;
    }
    // buf is "[-]d[.ddd]e(+|-)XX": split it into sign, significant digits and exponent.
    const std::string text(buf);
    const std::size_t e = text.find('e');
    const int exponent = std::atoi(text.c_str() + e + 1);
    const bool negative = text[0] == '-';
    std::string digits;
    for (std::size_t i = negative ? 1 : 0; i < e; ++i)
        if (text[i] != '.') digits += text[i];
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 16) {  // Python's switch to scientific notation
        out += digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        const int magnitude = std::abs(exponent);
        out += std::string(exponent < 0 ? "e-" : "e+") + (magnitude < 10 ? "0" : "") +
               std::to_string(magnitude);
    } else if (exponent < 0) {
        out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    } else {
        const std::size_t point = static_cast<std::size_t>(exponent) + 1;
        if (digits.size() <= point)
            out += digits + std::string(point - digits.size(), '0') + ".0";
        else
            out += digits.substr(0, point) + "." + digits.substr(point);
    }
    return out;
}
inline std::string format_number(int value) { return std::to_string(value); }

}  // namespace detail

}  // namespace pyengine

#endif  // PYENGINE_ERRORS_HPP
