// The batcher that groups poll records and 304s into transactions.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "feedwatch/batcher.h"

namespace feedwatch {
namespace {

TEST(Batcher, HandsOnAFullBatchAtOnceAndTheRestAfterTheDelay) {
  asio::io_context io;
  std::vector<std::vector<int>> flushed;
  Batcher<int> b(io, 3, std::chrono::milliseconds(1),
                 [&](std::vector<int> v) { flushed.push_back(std::move(v)); });
  for (int i = 0; i < 4; ++i) b.Add(i);
  ASSERT_EQ(flushed.size(), 1u) << "a full batch does not wait for the timer";
  EXPECT_EQ(flushed[0], (std::vector<int>{0, 1, 2}));
  io.run();  // the timer fires for the fourth
  ASSERT_EQ(flushed.size(), 2u);
  EXPECT_EQ(flushed[1], (std::vector<int>{3}));
}

TEST(Batcher, TakeReturnsWhatIsLeftAndAStaleTimerFlushesNothing) {
  asio::io_context io;
  int flushes = 0;
  Batcher<int> b(io, 10, std::chrono::milliseconds(1), [&](std::vector<int>) { ++flushes; });
  b.Add(1);
  b.Add(2);
  EXPECT_EQ(b.Take(), (std::vector<int>{1, 2}));
  io.run();
  EXPECT_EQ(flushes, 0);
  EXPECT_EQ(b.size(), 0u);
}

}  // namespace
}  // namespace feedwatch
