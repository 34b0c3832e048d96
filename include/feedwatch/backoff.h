// One retry policy for everything that retries: feeds that fail and
// deliveries that fail. Exponential growth from `base`, capped, with "full
// jitter" (a uniform draw between base and the exponential ceiling), so that
// many feeds of one failed host, or many alerts of one failed receiver, do not
// retry in lockstep. Pure functions; the caller owns the random engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace feedwatch {

// min(cap, base * 2^failures); base when failures <= 0. Never overflows.
std::chrono::milliseconds BackoffCeiling(std::chrono::milliseconds base,
                                         std::chrono::milliseconds cap, int failures);

// A draw in [base, BackoffCeiling(base, cap, failures)]: exactly base when
// there were no failures, never below base, never above cap (unless base is).
std::chrono::milliseconds FullJitterBackoff(std::chrono::milliseconds base,
                                            std::chrono::milliseconds cap, int failures,
                                            std::mt19937_64& rng);

}  // namespace feedwatch
