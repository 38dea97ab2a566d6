// pyengine._native: the C++ core as a private Python extension. Zero-copy from C-contiguous
// float32 NumPy arrays (other dtypes/layouts are converted once); the GIL is released
// while classifying, so several Python threads can classify at once, and a large batch
// is split over threads of its own.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <exception>
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

class Engine {
public:
    Engine(const f32array& sample_landmarks, const i32array& class_ids, int n_classes,
           int top_n_by_max_distance, int top_n_by_mean_distance,
           std::vector<double> axes_weights, double torso_size_multiplier) {
        const py::ssize_t s = n_poses(sample_landmarks, "sample_landmarks");
        if (class_ids.ndim() != 1 || class_ids.shape(0) != s)
            throw py::value_error("class_ids must have shape (" + std::to_string(s) + ",), got " +
                                  shape_str(class_ids));
        if (axes_weights.size() != 3)
            throw py::value_error("axes_weights must hold 3 values, got " +
                                  std::to_string(axes_weights.size()));
        pyengine::Params p;
        p.top_n_by_max_distance = top_n_by_max_distance;
        p.top_n_by_mean_distance = top_n_by_mean_distance;
        for (int a = 0; a < 3; ++a) p.axes_weights[a] = axes_weights[a];
        p.torso_size_multiplier = torso_size_multiplier;
        impl_ = std::make_unique<pyengine::Classifier>(sample_landmarks.data(),
                                                       static_cast<std::size_t>(s),
                                                       class_ids.data(), n_classes, p);
    }

    py::tuple neighbours(const f32array& frames) const {
        const py::ssize_t f = n_poses(frames, "frames");
        const py::ssize_t k = static_cast<py::ssize_t>(impl_->k());
        py::array_t<int64_t> out({f, k});
        py::array_t<bool> valid(f);
        const float* in = frames.data();
        int64_t* o = out.mutable_data();
        bool* v = valid.mutable_data();
        {
            py::gil_scoped_release release;
            // Large batches are split over threads (pyengine::batch_threads), each frame
            // written by exactly one of them.
            pyengine::detail::parallel_frames(
                static_cast<std::size_t>(f), 0,
                [&](std::size_t lo, std::size_t hi, pyengine::Scratch& scratch) {
                    int32_t idx[256];
                    std::vector<int32_t> big;
                    int32_t* p = idx;
                    if (k > 256) {
                        big.resize(static_cast<std::size_t>(k));
                        p = big.data();
                    }
                    for (std::size_t i = lo; i < hi; ++i) {
                        v[i] = impl_->neighbours(in + i * pyengine::kCoords, p, scratch);
                        for (py::ssize_t j = 0; j < k; ++j)
                            o[static_cast<py::ssize_t>(i) * k + j] = p[j];
                    }
                });
        }
        return py::make_tuple(out, valid);
    }

    py::tuple counts(const f32array& frames) const {
        const py::ssize_t f = n_poses(frames, "frames");
        const py::ssize_t c = impl_->n_classes();
        py::array_t<int32_t> out({f, c});
        py::array_t<bool> valid(f);
        const float* in = frames.data();
        int32_t* o = out.mutable_data();
        bool* v = valid.mutable_data();
        {
            py::gil_scoped_release release;
            pyengine::detail::parallel_frames(
                static_cast<std::size_t>(f), 0,
                [&](std::size_t lo, std::size_t hi, pyengine::Scratch& scratch) {
                    for (std::size_t i = lo; i < hi; ++i)
                        v[i] = impl_->counts(in + i * pyengine::kCoords,
                                             o + static_cast<py::ssize_t>(i) * c, scratch);
                });
        }
        return py::make_tuple(out, valid);
    }

    int n_classes() const { return impl_->n_classes(); }
    std::size_t n_samples() const { return impl_->n_samples(); }
    std::size_t k() const { return impl_->k(); }

private:
    std::unique_ptr<pyengine::Classifier> impl_;
};

py::tuple embed(const f32array& landmarks, double torso_size_multiplier) {
    if (!std::isfinite(torso_size_multiplier) || !(torso_size_multiplier >= 0.0))
        throw py::value_error("torso_size_multiplier must be finite and >= 0, got " +
                              std::to_string(torso_size_multiplier));
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

    m.def("embed", &embed, py::arg("landmarks"), py::arg("torso_size_multiplier") = 2.5,
          "Embed float32 (N, 33, 3) poses: returns float32 (N, 23, 3) and a bool (N,) mask.");
    m.def("load_samples", &load_samples, py::arg("path"),
          "Read a single CSV or a folder of <class>.csv files with the C++ loader (a dict).");

    py::class_<Engine>(m, "Engine")
        .def(py::init<const f32array&, const i32array&, int, int, int, std::vector<double>, double>(),
             py::arg("sample_landmarks"), py::arg("class_ids"), py::arg("n_classes"),
             py::arg("top_n_by_max_distance") = 30, py::arg("top_n_by_mean_distance") = 10,
             py::arg("axes_weights") = std::vector<double>{1.0, 1.0, 0.2},
             py::arg("torso_size_multiplier") = 2.5)
        .def("neighbours", &Engine::neighbours, py::arg("frames"),
             "int64 (F, k) kept sample indices ordered by (dmean, index) and a bool (F,) mask.")
        .def("counts", &Engine::counts, py::arg("frames"),
             "int32 (F, n_classes) neighbour counts and a bool (F,) mask.")
        .def_property_readonly("n_classes", &Engine::n_classes)
        .def_property_readonly("n_samples", &Engine::n_samples)
        .def_property_readonly("k", &Engine::k);
}
