// pyengine._native: the C++ core as a private Python extension. Zero-copy from C-contiguous
// float32 NumPy arrays (other dtypes/layouts are converted once); the GIL is released
// while classifying, so several Python threads can classify at once, and a large batch
// is split over threads of its own.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "pyengine/core.hpp"

namespace py = pybind11;
using f32array = py::array_t<float, py::array::c_style | py::array::forcecast>;
using i32array = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;

namespace {

std::string shape_str(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) {
        if (i) s += ", ";
        s += std::to_string(a.shape(i));
    }
    if (a.ndim() == 1) s += ",";
    return s + ")";
}

// Number of poses in a (N, 33, 3) array, or 1 for a single (33, 3) pose.
py::ssize_t n_poses(const f32array& a, const char* what) {
    if (a.ndim() == 3 && a.shape(1) == pyengine::kLandmarks && a.shape(2) == pyengine::kDims)
        return a.shape(0);
    if (a.ndim() == 2 && a.shape(0) == pyengine::kLandmarks && a.shape(1) == pyengine::kDims)
        return 1;
    throw py::value_error(std::string(what) + " must have shape (N, 33, 3) or (33, 3), got " +
                          shape_str(a));
}

// A bool array's memory as the 0/1 bytes the core writes validity into (NumPy's bool is
// one byte holding 0 or 1).
uint8_t* bytes_of(py::array_t<bool>& mask) {
    static_assert(sizeof(bool) == 1, "NumPy bools are one byte");
    return reinterpret_cast<uint8_t*>(mask.mutable_data());
}

// ---------------------------------------------------------------- settings
// Python values become core settings here; the rules themselves are the core's
// (pyengine/config.hpp), run by Params/Settings::validate. An integer setting must be an
// int (or NumPy integer), not a bool or a float; a number setting anything with __float__
// or __index__. Every problem is a ValueError naming the setting and the value.

std::string repr_of(py::handle value) { return py::repr(value).cast<std::string>(); }

int integer_setting(const char* name, py::handle value) {
    if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr()))
        throw pyengine::InvalidArgumentError(std::string(name) + " must be an integer, got " +
                                             repr_of(value));
    const py::int_ index = py::reinterpret_steal<py::int_>(PyNumber_Index(value.ptr()));
    if (!index) throw py::error_already_set();
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (overflow != 0 || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
        throw pyengine::InvalidArgumentError(std::string(name) +
                                             " must be a 32-bit integer, got " + repr_of(value));
    return static_cast<int>(v);
}

double number_setting(const std::string& name, py::handle value) {
    const double v = PyFloat_AsDouble(value.ptr());
    if (v == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        throw pyengine::InvalidArgumentError(name + " must be a number, got " + repr_of(value));
    }
    return v;
}

void axes_weights_setting(py::handle value, double (&out)[3]) {
    if (!PySequence_Check(value.ptr()) || PySequence_Size(value.ptr()) != 3) {
        PyErr_Clear();  // PySequence_Size fails on sequences without a length
        throw pyengine::InvalidArgumentError("axes_weights must hold 3 numbers, got " +
                                             repr_of(value));
    }
    const py::sequence weights = py::reinterpret_borrow<py::sequence>(value);
    for (int a = 0; a < 3; ++a)
        out[a] = number_setting("axes_weights[" + std::to_string(a) + "]", weights[a]);
}

pyengine::Params classifier_params(py::handle top_n_by_max_distance,
                                   py::handle top_n_by_mean_distance, py::handle axes_weights,
                                   py::handle torso_size_multiplier) {
    pyengine::Params p;
    p.top_n_by_max_distance = integer_setting("top_n_by_max_distance", top_n_by_max_distance);
    p.top_n_by_mean_distance = integer_setting("top_n_by_mean_distance", top_n_by_mean_distance);
    axes_weights_setting(axes_weights, p.axes_weights);
    p.torso_size_multiplier = number_setting("torso_size_multiplier", torso_size_multiplier);
    return p;
}

py::dict default_settings() {
    const pyengine::Settings d;
    const double* w = d.classifier.axes_weights;
    py::dict out;
    out["top_n_by_max_distance"] = d.classifier.top_n_by_max_distance;
    out["top_n_by_mean_distance"] = d.classifier.top_n_by_mean_distance;
    out["axes_weights"] = py::cast(std::vector<double>(w, w + 3));
    out["torso_size_multiplier"] = d.classifier.torso_size_multiplier;
    out["window_size"] = d.smoothing.window_size;
    out["alpha"] = d.smoothing.alpha;
    out["enter_threshold"] = d.counter.enter_threshold;
    out["exit_threshold"] = d.counter.exit_threshold;
    return out;
}

void validate_settings(py::handle top_n_by_max_distance, py::handle top_n_by_mean_distance,
                       py::handle axes_weights, py::handle torso_size_multiplier,
                       py::handle window_size, py::handle alpha, py::handle enter_threshold,
                       py::handle exit_threshold) {
    pyengine::Settings s;
    s.classifier = classifier_params(top_n_by_max_distance, top_n_by_mean_distance, axes_weights,
                                     torso_size_multiplier);
    s.smoothing.window_size = integer_setting("window_size", window_size);
    s.smoothing.alpha = number_setting("alpha", alpha);
    s.counter.enter_threshold = number_setting("enter_threshold", enter_threshold);
    s.counter.exit_threshold = number_setting("exit_threshold", exit_threshold);
    s.validate();
}

// ---------------------------------------------------------------- classifier

class Engine {
public:
    Engine(const f32array& sample_landmarks, const i32array& class_ids, int n_classes,
           py::handle top_n_by_max_distance, py::handle top_n_by_mean_distance,
           py::handle axes_weights, py::handle torso_size_multiplier) {
        const py::ssize_t s = n_poses(sample_landmarks, "sample_landmarks");
        if (class_ids.ndim() != 1 || class_ids.shape(0) != s)
            throw py::value_error("class_ids must have shape (" + std::to_string(s) + ",), got " +
                                  shape_str(class_ids));
        const pyengine::Params p = classifier_params(top_n_by_max_distance, top_n_by_mean_distance,
                                                     axes_weights, torso_size_multiplier);
        impl_ = std::make_unique<pyengine::Classifier>(sample_landmarks.data(),
                                                       static_cast<std::size_t>(s),
                                                       class_ids.data(), n_classes, p);
    }

    // int64 (F, k) kept sample indices and a bool (F,) mask.
    py::tuple neighbours(const f32array& frames) const {
        return batch<int64_t>(frames, impl_->k(), [this](auto&&... args) {
            impl_->neighbours_batch(args...);
        });
    }

    // int32 (F, n_classes) neighbour counts and a bool (F,) mask.
    py::tuple counts(const f32array& frames) const {
        return batch<int32_t>(frames, static_cast<std::size_t>(impl_->n_classes()),
                              [this](auto&&... args) { impl_->counts_batch(args...); });
    }

    int n_classes() const { return impl_->n_classes(); }
    std::size_t n_samples() const { return impl_->n_samples(); }
    std::size_t k() const { return impl_->k(); }

private:
    // A (F, width) array of T and a bool (F,) mask filled by one of the core's threaded
    // batch calls, run(frames, F, out, valid), with the GIL released; `frames` is read in
    // place when it is C-contiguous float32.
    template <class T, class Run>
    py::tuple batch(const f32array& frames, std::size_t width, const Run& run) const {
        const py::ssize_t f = n_poses(frames, "frames");
        py::array_t<T> out({f, static_cast<py::ssize_t>(width)});
        py::array_t<bool> valid(f);
        const float* in = frames.data();
        T* o = out.mutable_data();
        uint8_t* v = bytes_of(valid);
        {
            py::gil_scoped_release release;
            run(in, static_cast<std::size_t>(f), o, v);
        }
        return py::make_tuple(out, valid);
    }

    std::unique_ptr<pyengine::Classifier> impl_;
};

py::tuple embed(const f32array& landmarks, double torso_size_multiplier) {
    pyengine::validate_torso_size_multiplier(torso_size_multiplier);
    const py::ssize_t n = n_poses(landmarks, "landmarks");
    py::array_t<float> out({n, static_cast<py::ssize_t>(pyengine::kEmbeddingRows),
                            static_cast<py::ssize_t>(pyengine::kDims)});
    py::array_t<bool> valid(n);
    const float* in = landmarks.data();
    float* o = out.mutable_data();
    bool* v = valid.mutable_data();
    {
        py::gil_scoped_release release;
        for (py::ssize_t i = 0; i < n; ++i)
            v[i] = pyengine::embed(in + i * pyengine::kCoords, torso_size_multiplier,
                                   o + i * pyengine::kEmbeddingSize);
    }
    return py::make_tuple(out, valid);
}

py::dict load_samples(const std::string& path) {
    pyengine::SampleSet s;
    {
        py::gil_scoped_release release;
        s = pyengine::load_samples(path);
    }
    const py::ssize_t n = static_cast<py::ssize_t>(s.size());
    py::array_t<float> lms({n, static_cast<py::ssize_t>(pyengine::kLandmarks),
                            static_cast<py::ssize_t>(pyengine::kDims)});
    if (n) std::memcpy(lms.mutable_data(), s.landmarks.data(), s.landmarks.size() * sizeof(float));
    py::array_t<int32_t> ids(n);
    if (n) std::memcpy(ids.mutable_data(), s.class_ids.data(), s.class_ids.size() * sizeof(int32_t));
    py::dict d;
    d["landmarks"] = lms;
    d["names"] = py::cast(s.names);
    d["labels"] = py::cast(s.labels);
    d["sources"] = py::cast(s.sources);
    d["class_names"] = py::cast(s.class_names);
    d["class_ids"] = ids;
    return d;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
    m.doc() = "pyengine's compiled core (private; use pyengine.backends.native_backend)";
    m.attr("__version__") = PYENGINE_VERSION_STRING;

    // Every error of the core is a ValueError (bad settings, arguments, files or samples);
    // sample files and samples have their own subclasses, like pyengine.errors'
    // SampleFileError and InvalidPoseError. Translators registered later are tried first.
    py::register_local_exception_translator([](std::exception_ptr error) {
        try {
            if (error) std::rethrow_exception(error);
        } catch (const pyengine::Error& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        }
    });
    py::register_local_exception<pyengine::SampleFileError>(m, "SampleFileError", PyExc_ValueError);
    py::register_local_exception<pyengine::InvalidSampleError>(m, "InvalidSampleError", PyExc_ValueError);

    m.def("embed", &embed, py::arg("landmarks"),
          py::arg("torso_size_multiplier") = pyengine::defaults::torso_size_multiplier,
          "Embed float32 (N, 33, 3) poses: returns float32 (N, 23, 3) and a bool (N,) mask.");
    m.def("load_samples", &load_samples, py::arg("path"),
          "Read a single CSV or a folder of <class>.csv files with the C++ loader (a dict).");

    const pyengine::Params d;
    const std::vector<double> default_weights(d.axes_weights, d.axes_weights + 3);
    m.def("default_settings", &default_settings,
          "Every setting's default (classifier, smoothing, counting) as a dict.");
    m.def("validate_settings", &validate_settings, py::kw_only(),
          py::arg("top_n_by_max_distance") = d.top_n_by_max_distance,
          py::arg("top_n_by_mean_distance") = d.top_n_by_mean_distance,
          py::arg("axes_weights") = default_weights,
          py::arg("torso_size_multiplier") = d.torso_size_multiplier,
          py::arg("window_size") = pyengine::defaults::window_size,
          py::arg("alpha") = pyengine::defaults::alpha,
          py::arg("enter_threshold") = pyengine::defaults::enter_threshold,
          py::arg("exit_threshold") = pyengine::defaults::exit_threshold,
          "Check every setting with the core's rules; ValueError naming the first bad one.");

    py::class_<Engine>(m, "Engine")
        .def(py::init<const f32array&, const i32array&, int, py::handle, py::handle, py::handle,
                      py::handle>(),
             py::arg("sample_landmarks"), py::arg("class_ids"), py::arg("n_classes"),
             py::arg("top_n_by_max_distance") = d.top_n_by_max_distance,
             py::arg("top_n_by_mean_distance") = d.top_n_by_mean_distance,
             py::arg("axes_weights") = default_weights,
             py::arg("torso_size_multiplier") = d.torso_size_multiplier)
        .def("neighbours", &Engine::neighbours, py::arg("frames"),
             "int64 (F, k) kept sample indices ordered by (dmean, index) and a bool (F,) mask.")
        .def("counts", &Engine::counts, py::arg("frames"),
             "int32 (F, n_classes) neighbour counts and a bool (F,) mask.")
        .def_property_readonly("n_classes", &Engine::n_classes)
        .def_property_readonly("n_samples", &Engine::n_samples)
        .def_property_readonly("k", &Engine::k);
}
