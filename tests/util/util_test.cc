#include "feedwatch/util.h"
#include "../daemon/util/toml_util.h"

#include <gtest/gtest.h>

namespace feedwatch {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndSums) {
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(*ParseDuration("10m"), milliseconds(600'000));
  EXPECT_EQ(*ParseDuration("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(*ParseDuration("2d"), milliseconds(172'800'000));
}

TEST(ParseDuration, RejectsBareNumbersAndUnknownUnits) {
  EXPECT_FALSE(ParseDuration("10").ok());
  EXPECT_FALSE(ParseDuration("10 minutes").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("m").ok());
  EXPECT_NE(ParseDuration("5y").status().message().find("unit"), std::string::npos);
}

TEST(ParseByteSize, BinaryAndDecimalUnits) {
  EXPECT_EQ(*ParseByteSize("16MiB"), 16u << 20);
  EXPECT_EQ(*ParseByteSize("10MB"), 10'000'000u);
  EXPECT_EQ(*ParseByteSize("512"), 512u);
  EXPECT_FALSE(ParseByteSize("12 parsecs").ok());
}

TEST(FormatUtcMinute, DateAndMinuteForListings) {
  EXPECT_EQ(FormatUtcMinute(1700000000), "2023-11-14 22:13");
}

TEST(FormatRfc3339, FormatsUtcAndClampsYears) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(FormatRfc3339(INT64_MAX), "9999-12-31T23:59:59Z");
}

TEST(SanitizeUtf8, ReplacesInvalidSequencesAndDropsControls) {
  EXPECT_EQ(SanitizeUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(SanitizeUtf8("a\xff"
                         "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(SanitizeUtf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(SanitizeUtf8("x\x1b[31mred"), "x[31mred");                              // ANSI escape
  EXPECT_EQ(SanitizeUtf8("line1\r\nline2\tend"), "line1\n\nline2\tend");
  EXPECT_EQ(SanitizeUtf8("\xc2\x85next"), "next");  // C1 control
  EXPECT_EQ(SanitizeUtf8("trunc\xe2\x82"), "trunc\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(TruncateUtf8, NeverSplitsACharacter) {
  EXPECT_EQ(TruncateUtf8("h\xc3\xa9llo", 2), "h");
  EXPECT_EQ(TruncateUtf8("abc", 10), "abc");
}

TEST(RedactUrl, KeepsSchemeAndHostOnly) {
  EXPECT_EQ(RedactUrl("https://hooks.slack.com/services/T0/B0/secret?x=1"),
            "https://hooks.slack.com/…");
  EXPECT_EQ(RedactUrl("http://user:pw@127.0.0.1:8080/hook"), "http://127.0.0.1:8080/…");
  EXPECT_EQ(RedactUrl("http://example.com"), "http://example.com");
}

TEST(DisplayUrl, HidesPasswordsAndSecretLookingParameters) {
  EXPECT_EQ(DisplayUrl("http://feeduser:PASS@127.0.0.1:8080/missing.xml"),
            "http://feeduser:***@127.0.0.1:8080/missing.xml");
  EXPECT_EQ(DisplayUrl("https://h.example/f?id=3&api_key=abc&Token=t&page=2#top"),
            "https://h.example/f?id=3&api_key=***&Token=***&page=2#top");
  EXPECT_EQ(DisplayUrl("https://h.example/f?access_token=x"),
            "https://h.example/f?access_token=***");
  EXPECT_EQ(DisplayUrl("https://user@h.example/f"), "https://user@h.example/f") << "no password";
  EXPECT_EQ(DisplayUrl("https://news.example/rss?topic=chips&lang=en"),
            "https://news.example/rss?topic=chips&lang=en");
  EXPECT_EQ(DisplayUrl("https://h.example/a@b?x"), "https://h.example/a@b?x") << "@ in the path";
  EXPECT_FALSE(UrlHasSecrets("https://news.example/rss?topic=chips"));
  EXPECT_TRUE(UrlHasSecrets("https://u:p@news.example/rss"));
}

TEST(FormatDuration, HumanUnits) {
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(12)), "12s");
  EXPECT_EQ(FormatDuration(std::chrono::minutes(10)), "10m");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(2757)), "45m57s");
  EXPECT_EQ(FormatDuration(std::chrono::hours(26)), "1d2h");
}

TEST(Sha256Hex, KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace feedwatch

namespace feedwatch {
namespace {

// "Did you mean" for commands, options, config keys and sink names: a swap of
// two neighbouring letters is one typo, like a missing or a wrong letter.
TEST(DidYouMean, NamesTheNearestKnownWordForATypo) {
  using tomlutil::DidYouMean;
  using tomlutil::EditDistance;
  EXPECT_EQ(EditDistance("list", "list"), 0u);
  EXPECT_EQ(EditDistance("lsit", "list"), 1u);
  EXPECT_EQ(EditDistance("lst", "list"), 1u);
  EXPECT_EQ(EditDistance("stauts", "status"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
  std::vector<std::string_view> commands = {"run", "status", "search", "scan", "outbox"};
  EXPECT_EQ(DidYouMean("stauts", commands), "status");
  EXPECT_EQ(DidYouMean("--confg", {"--config", "--json"}), "--config");
  EXPECT_EQ(DidYouMean("slak", {"slack", "log", "jsonl"}), "slack");
  EXPECT_EQ(DidYouMean("deploy", commands), "") << "nothing close: no guess";
}

}  // namespace
}  // namespace feedwatch
