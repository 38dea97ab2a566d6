// Training samples: both on-disk CSV formats of SPEC 2, read the way pyengine.samples
// reads them (csv-module quoting, CRLF/LF/CR line ends, blank rows skipped, fields
// stripped, a UTF-8 byte-order mark ignored), with errors that name file, line and field.
//
// - Single CSV (ML Kit):        name,class,x1,y1,z1,...,x33,y33,z33   (2 + 99 fields)
// - Folder of <class_name>.csv:  name,x1,y1,z1,...,x33,y33,z33        (1 + 99 fields),
//   files read in sorted file-name order.
// Classes are numbered in order of first appearance; samples keep load order (the
// tie-break order of SPEC 4). Coordinates are parsed as double, then rounded to float32.
#ifndef PYENGINE_SAMPLES_HPP
#define PYENGINE_SAMPLES_HPP

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#if defined(__has_include)
#if __has_include(<charconv>)
#include <charconv>
#endif
#endif

#include "classifier.hpp"
#include "config.hpp"
#include "embedding.hpp"
#include "landmarks.hpp"

namespace pyengine {

struct SampleSet {
    std::vector<float> landmarks;          // S x 99
    std::vector<std::string> names;        // per sample
    std::vector<std::string> labels;       // per sample: class name
    std::vector<std::string> sources;      // per sample: "file:line"
    std::vector<std::string> class_names;  // in order of first appearance
    std::vector<int32_t> class_ids;        // per sample: index into class_names

    std::size_t size() const { return names.size(); }

    void add(std::string name, const std::string& label, const float* coords, std::string source) {
        auto it = std::find(class_names.begin(), class_names.end(), label);
        int32_t id = static_cast<int32_t>(it - class_names.begin());
        if (it == class_names.end()) class_names.push_back(label);
        names.push_back(std::move(name));
        labels.push_back(label);
        sources.push_back(std::move(source));
        class_ids.push_back(id);
        landmarks.insert(landmarks.end(), coords, coords + kCoords);
    }
};

namespace detail {

inline std::string coordinate_name(int column) {
    return std::string(lm::name(column / 3)) + "." + "xyz"[column % 3];
}

inline std::string strip(const std::string& s) {
    const char* ws = " \t\n\r\f\v";
    const auto b = s.find_first_not_of(ws);
    if (b == std::string::npos) return std::string();
    const auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

inline std::string quote(const std::string& s) {
    return "'" + s + "'";
}

// Parse `text` (already stripped) like Python's float(). Returns 0 ok, 1 not a number,
// 2 not finite (as a double or after rounding to float32).
inline int parse_coordinate(const std::string& text, float& out) {
    if (text.empty()) return 1;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (*first == '+') {
        ++first;
        if (first == last || *first == '+' || *first == '-') return 1;
    }
    double v = 0.0;
#if defined(__cpp_lib_to_chars) || (defined(_GLIBCXX_RELEASE) && _GLIBCXX_RELEASE >= 11) || \
    (defined(_MSC_VER) && _MSC_VER >= 1924)
    const auto res = std::from_chars(first, last, v);
    if (res.ptr != last) return 1;
    if (res.ec == std::errc::result_out_of_range) {
        // Overflow is inf (not finite); underflow rounds to zero, as float() does.
        std::string t(first, last);
        const auto epos = t.find_first_of("eE");
        const bool neg_exp = epos != std::string::npos && epos + 1 < t.size() && t[epos + 1] == '-';
        if (!neg_exp) return 2;
        v = (t[0] == '-') ? -0.0 : 0.0;
    } else if (res.ec != std::errc()) {
        return 1;
    }
#else
    // Fallback: strtod (depends on the C locale's decimal point; fine for "C").
    std::string t(first, last);
    char* end = nullptr;
    errno = 0;
    v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) return 1;
#endif
    if (!std::isfinite(v)) return 2;
    out = static_cast<float>(v);
    if (!std::isfinite(out)) return 2;
    return 0;
}

// Split CSV text into records the way Python's csv.reader (excel dialect) does; calls
// fn(line_number_of_record_end, fields) for every record that is not blank.
template <typename Fn>
inline void for_each_record(const std::string& text, Fn fn) {
    std::vector<std::string> fields;
    std::string field;
    int line = 0;
    enum State { kStartField, kInField, kInQuoted, kQuoteInQuoted } st = kStartField;
    bool record_started = false;
    std::size_t i = 0;
    const std::size_t n = text.size();
    auto end_record = [&]() {
        fields.push_back(field);
        field.clear();
        bool blank = true;
        for (const auto& f : fields) blank &= strip(f).empty();
        if (!blank) fn(line, fields);
        fields.clear();
        record_started = false;
        st = kStartField;
    };
    while (i < n) {
        const char ch = text[i];
        const bool eol = (ch == '\n' || ch == '\r');
        if (eol) {
            // One line end: \n, \r\n or \r.
            ++line;
            if (ch == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
            ++i;
            if (st == kInQuoted) {
                field += '\n';
                continue;
            }
            if (record_started || !fields.empty() || !field.empty()) end_record();
            else st = kStartField;
            continue;
        }
        record_started = true;
        switch (st) {
            case kStartField:
                if (ch == '"') st = kInQuoted;
                else if (ch == ',') fields.push_back(std::string());
                else { field += ch; st = kInField; }
                break;
            case kInField:
                if (ch == ',') { fields.push_back(field); field.clear(); st = kStartField; }
                else field += ch;
                break;
            case kInQuoted:
                if (ch == '"') st = kQuoteInQuoted;
                else field += ch;
                break;
            case kQuoteInQuoted:
                if (ch == '"') { field += '"'; st = kInQuoted; }
                else if (ch == ',') { fields.push_back(field); field.clear(); st = kStartField; }
                else { field += ch; st = kInField; }
                break;
        }
        ++i;
    }
    if (record_started || !fields.empty() || !field.empty()) {
        ++line;  // an unterminated last line still counts as a line
        end_record();
    }
}

inline std::string read_text_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        const int err = errno;
        throw SampleFileError(ErrorCode::io,
                              file.string() + ": cannot read: " +
                                  (err ? std::generic_category().message(err) : "open failed"));
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
        static_cast<unsigned char>(text[1]) == 0xBB && static_cast<unsigned char>(text[2]) == 0xBF)
        text.erase(0, 3);
    return text;
}

inline void read_rows(const std::filesystem::path& file, bool with_class,
                      const std::string& class_name, SampleSet& out) {
    const std::string text = read_text_file(file);
    const std::string fname = file.string();
    const int n_head = with_class ? 2 : 1;
    std::size_t n_rows = 0;
    float coords[kCoords];
    for_each_record(text, [&](int line, const std::vector<std::string>& rec) {
        const std::string where = fname + ":" + std::to_string(line);
        if (static_cast<int>(rec.size()) != n_head + kCoords) {
            throw SampleFileError(
                ErrorCode::parse,
                where + ": expected " + std::to_string(n_head + kCoords) + " fields (" +
                    (with_class ? "name, class, 99 coordinates" : "name, 99 coordinates") +
                    "), found " + std::to_string(rec.size()));
        }
        std::string name = strip(rec[0]);
        const std::string cls = with_class ? strip(rec[1]) : class_name;
        if (name.empty())
            throw SampleFileError(ErrorCode::parse, where + ": field 1 (sample name) is empty");
        if (cls.empty())
            throw SampleFileError(ErrorCode::parse, where + ": field 2 (class name) is empty");
        for (int c = 0; c < kCoords; ++c) {
            const std::string t = strip(rec[n_head + c]);
            const int r = parse_coordinate(t, coords[c]);
            if (r != 0)
                throw SampleFileError(ErrorCode::parse,
                                      where + ": field " + std::to_string(n_head + c + 1) + " (" +
                                          coordinate_name(c) + ") " +
                                          (r == 1 ? "is not a number" : "is not finite") + ": " +
                                          quote(t));
        }
        out.add(std::move(name), cls, coords, where);
        ++n_rows;
    });
    if (n_rows == 0)
        throw SampleFileError(ErrorCode::parse, fname + ": file is empty (no sample rows)");
}

}  // namespace detail

// Load a single CSV (name, class, 99 coordinates) or a folder of <class_name>.csv files.
// Throws SampleFileError naming the file (and line and field) on any problem.
inline SampleSet load_samples(const std::string& path_str) {
    namespace fs = std::filesystem;
    const fs::path path(path_str);
    std::error_code ec;
    SampleSet out;
    if (fs::is_directory(path, ec)) {
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(path, ec)) {
            std::string ext = entry.path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            std::error_code ec2;
            if (ext == ".csv" && entry.is_regular_file(ec2)) files.push_back(entry.path());
        }
        if (ec)
            throw SampleFileError(ErrorCode::io, path_str + ": cannot list folder: " + ec.message());
        if (files.empty())
            throw SampleFileError(ErrorCode::parse,
                                  path_str + ": folder holds no <class_name>.csv files");
        std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
            return a.filename().string() < b.filename().string();
        });
        for (const auto& f : files) detail::read_rows(f, false, f.stem().string(), out);
        return out;
    }
    if (!fs::exists(path, ec))
        throw SampleFileError(ErrorCode::io, path_str + ": no such file or folder");
    detail::read_rows(path, true, std::string(), out);
    return out;
}

// A classifier over a loaded sample set; a sample that cannot be embedded is reported
// as a SampleFileError naming its file and line.
inline Classifier make_classifier(const SampleSet& samples, const Params& params = Params()) {
    params.validate();
    if (samples.size() == 0) throw SampleFileError(ErrorCode::parse, "the sample set is empty");
    float e[kEmbeddingSize];
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (!embed(samples.landmarks.data() + i * kCoords, params.torso_size_multiplier, e))
            throw SampleFileError(ErrorCode::invalid_sample,
                                  samples.sources[i] + ": sample " + detail::quote(samples.names[i]) +
                                      " cannot be embedded (its pose size is 0: hips, shoulders "
                                      "and landmarks on one point)");
    }
    return Classifier(samples.landmarks.data(), samples.size(), samples.class_ids.data(),
                      static_cast<int>(samples.class_names.size()), params, samples.class_names);
}

}  // namespace pyengine

#endif  // PYENGINE_SAMPLES_HPP
