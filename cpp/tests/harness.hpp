// A tiny test harness: CHECK records a failure and carries on; main returns non-zero.
#ifndef PYENGINE_TEST_HARNESS_HPP
#define PYENGINE_TEST_HARNESS_HPP

#include <cstdio>
#include <string>

inline int& test_failures() {
    static int n = 0;
    return n;
}
inline int& test_checks() {
    static int n = 0;
    return n;
}

#define CHECK(cond)                                                                   \
    do {                                                                              \
        ++test_checks();                                                              \
        if (!(cond)) {                                                                \
            ++test_failures();                                                        \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

#define CHECK_MSG(cond, msg)                                                          \
    do {                                                                              \
        ++test_checks();                                                              \
        if (!(cond)) {                                                                \
            ++test_failures();                                                        \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                         std::string(msg).c_str());                                   \
        }                                                                             \
    } while (0)

// CHECK that `expr` throws `Exc` whose message contains `needle`.
#define CHECK_THROWS(Exc, expr, needle)                                               \
    do {                                                                              \
        ++test_checks();                                                              \
        bool thrown_ = false;                                                         \
        std::string what_;                                                            \
        try {                                                                         \
            (void)(expr);                                                             \
        } catch (const Exc& e_) {                                                     \
            thrown_ = true;                                                           \
            what_ = e_.what();                                                        \
        }                                                                             \
        if (!thrown_ || what_.find(needle) == std::string::npos) {                    \
            ++test_failures();                                                        \
            std::fprintf(stderr, "%s:%d: expected %s containing \"%s\", got %s\"%s\"\n", \
                         __FILE__, __LINE__, #Exc, std::string(needle).c_str(),       \
                         thrown_ ? "" : "no exception ", what_.c_str());              \
        }                                                                             \
    } while (0)

#define TEST_MAIN_END()                                                               \
    do {                                                                              \
        std::printf("%d checks, %d failures\n", test_checks(), test_failures());      \
        return test_failures() == 0 ? 0 : 1;                                          \
    } while (0)

#endif
