// Time, passed in rather than read from a global: the scheduler, the
// dispatcher and the recorder take a Clock&, so a test can run them on a
// clock that jumped (the wall clock going back a year) without touching the
// process. Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace feedwatch {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in Unix milliseconds: what is stored (due times, retries)
  // and shown. It may jump; code that stores it must survive that.
  virtual std::int64_t WallMs() const = 0;
  std::int64_t WallSeconds() const { return WallMs() / 1000; }
};

// The system's clock. One instance serves the whole process.
class SystemClock final : public Clock {
 public:
  std::int64_t WallMs() const override;
  static const SystemClock& Get();
};

// The system clock shifted by a fixed amount, as if it had been set wrong:
// for tests of clock jumps.
class SkewedClock final : public Clock {
 public:
  explicit SkewedClock(std::chrono::milliseconds skew) : skew_(skew.count()) {}
  std::int64_t WallMs() const override { return SystemClock::Get().WallMs() + skew_; }

 private:
  std::int64_t skew_;
};

}  // namespace feedwatch
