/* SPDX-License-Identifier: Apache-2.0 */
// C++ baselines: sort-and-scan with std::sort, and the OpenCV loop a C++
// user would write today (cv::erode with the 3x3 cross, cv::countNonZero).
// OpenCV parts are compiled only when CMake found OpenCV.
#include "baselines.h"

#include <algorithm>
#include <cstring>
#include <limits>

#ifdef CONSECO_BENCH_HAVE_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#endif

extern "C" int cxx_available(void) { return 1; }

extern "C" double sortscan_threshold_score_stdsort(const bench_pair *p, double base, double top,
                                                   double tau, double *work)
{
    uint64_t predicted = 0;
    const size_t nfp = sortscan_collect(p, base, work, &predicted);
    std::sort(work, work + nfp);
    return sortscan_finish(p, base, top, tau, work, nfp, predicted);
}

#ifdef CONSECO_BENCH_HAVE_OPENCV

extern "C" int opencv_available(void)
{
    // One thread, like the library's per-image calls: parallelism across
    // images is what the batch rows measure.
    cv::setNumThreads(1);
    return 1;
}

// Yhat = {s >= base} as OpenCV's 255/0 mask.
static cv::Mat predicted_mask(const bench_pair *p, double base)
{
    const int h = static_cast<int>(p->pred.height), w = static_cast<int>(p->pred.width);
    if (p->pred.dtype == CONSECO_DTYPE_F32) {
        cv::Mat s(h, w, CV_32F, const_cast<void *>(p->pred.data));
        return s >= base;
    }
    // v / 255 >= base  <=>  v >= the smallest such v (an integer compare)
    int cut = 0;
    while (cut < 256 && static_cast<double>(cut) / 255.0 < base) cut++;
    cv::Mat s(h, w, CV_8U, const_cast<void *>(p->pred.data));
    return s >= cut;
}

extern "C" double opencv_erosion_score(const bench_pair *p, double base, double tau)
{
    const int h = static_cast<int>(p->pred.height), w = static_cast<int>(p->pred.width);
    cv::Mat cur = predicted_mask(p, base);
    cv::Mat truth(h, w, CV_8U, const_cast<uint8_t *>(p->truth.data));
    cv::Mat fp, kept_now;
    cv::bitwise_and(cur, truth == 0, fp);
    const int predicted = cv::countNonZero(cur);
    if (predicted == 0) return 0.0;
    const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
    int left = predicted;
    for (unsigned lambda = 0;; lambda++) {
        cv::bitwise_and(cur, fp, kept_now);
        const int kept = cv::countNonZero(kept_now);
        if (static_cast<double>(kept) / static_cast<double>(predicted) <= tau)
            return static_cast<double>(lambda);
        cv::erode(cur, cur, cross); // default border: outside counts as foreground
        const int now = cv::countNonZero(cur);
        if (now == left) return std::numeric_limits<double>::infinity();
        left = now;
    }
}

extern "C" void opencv_erosion_apply(const bench_pair *p, double base, unsigned lambda,
                                     uint8_t *out)
{
    const int h = static_cast<int>(p->pred.height), w = static_cast<int>(p->pred.width);
    cv::Mat yhat = predicted_mask(p, base);
    cv::Mat dst(h, w, CV_8U, out);
    if (lambda == 0) {
        yhat.copyTo(dst);
        return;
    }
    const cv::Mat cross = cv::getStructuringElement(cv::MORPH_CROSS, cv::Size(3, 3));
    cv::erode(yhat, dst, cross, cv::Point(-1, -1), static_cast<int>(lambda));
}

#else

extern "C" int opencv_available(void) { return 0; }
extern "C" double opencv_erosion_score(const bench_pair *, double, double) { return 0.0; }
extern "C" void opencv_erosion_apply(const bench_pair *, double, unsigned, uint8_t *) {}

#endif
