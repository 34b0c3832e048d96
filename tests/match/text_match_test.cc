// Unicode matching (NFKC, case folding beyond ASCII, CJK word units), word
// forms, and `feedwatch eval`'s scoring.
#include <gtest/gtest.h>
#include <unicode/normalizer2.h>

#include <random>

#include "../daemon/match/text_norm.h"
#include "feedwatch/evaluate.h"
#include "feedwatch/match.h"
#include "match_util.h"
#include "test_util.h"

namespace feedwatch {
namespace {

using testing::TempDir;

std::shared_ptr<const Matcher> Build(const TempDir& dir, const std::string& toml) {
  return testing::BuildMatcher(dir, toml);
}

bool Matches(const Matcher& m, const std::string& title, const std::string& summary = "") {
  Entry e;
  e.title = title;
  e.summary = summary;
  return !m.Match(e).empty();
}

TEST(TextNorm, AsciiAndNormalTextAreNotCopied) {
  textnorm::NormalizedText t;
  t.Assign("plain ascii");
  EXPECT_FALSE(t.changed());
  t.Assign("“DeepSeek” 蒸馏");  // curly quotes and Han are already NFKC
  EXPECT_FALSE(t.changed());
  t.Assign("ＤｅｅｐＳｅｅｋ");
  EXPECT_TRUE(t.changed());
  EXPECT_EQ(t.text(), "DeepSeek");
}

TEST(TextNorm, OffsetsMapBackToTheOriginal) {
  textnorm::NormalizedText t;
  std::string original = "a\xC2\xA0ＤｅｅｐＳｅｅｋ…x";  // no-break space, full-width, ellipsis
  t.Assign(original);
  ASSERT_TRUE(t.changed());
  EXPECT_EQ(t.text(), "a DeepSeek...x");
  std::size_t b = t.text().find("DeepSeek"), e = b + 8;
  std::size_t ob = t.ToOriginalBegin(b), oe = t.ToOriginalEnd(e);
  EXPECT_EQ(original.substr(ob, oe - ob), "ＤｅｅｐＳｅｅｋ");
  std::size_t x = t.text().find('x');
  EXPECT_EQ(original.substr(t.ToOriginalBegin(x), t.ToOriginalEnd(x + 1) - t.ToOriginalBegin(x)),
            "x");
  // Half of the ellipsis' expansion still maps to the whole character.
  std::size_t dots = t.text().find("...");
  EXPECT_EQ(original.substr(t.ToOriginalBegin(dots + 1),
                            t.ToOriginalEnd(dots + 2) - t.ToOriginalBegin(dots + 1)),
            "…");
}

TEST(TextNorm, AnAccentAfterAsciiComposesWithIt) {
  // ICU starts after the ASCII prefix, but must include its last letter.
  textnorm::NormalizedText t;
  std::string original = "Exports of the cafe\xCC\x81 chain";  // 'e' + combining acute
  t.Assign(original);
  ASSERT_TRUE(t.changed());
  EXPECT_EQ(t.text(), "Exports of the caf\xC3\xA9 chain");
  std::size_t b = t.text().find("caf"), e = t.text().find(" chain");
  EXPECT_EQ(original.substr(t.ToOriginalBegin(b), t.ToOriginalEnd(e) - t.ToOriginalBegin(b)),
            "cafe\xCC\x81");
  std::size_t c = t.text().find("chain");
  EXPECT_EQ(t.ToOriginalBegin(c), original.find("chain"));
  EXPECT_EQ(t.ToOriginalBegin(2), 2u);  // inside the untouched prefix
  // Without offsets the text is the same.
  textnorm::NormalizedText plain;
  plain.Assign(original, false);
  EXPECT_EQ(plain.text(), t.text());
}

// ICU's NFKC of the whole string, as a reference for the matcher's shortcuts.
std::string IcuNfkc(const std::string& s) {
  UErrorCode ec = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFKCInstance(ec);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  n->normalizeUTF8(0, icu::StringPiece(s.data(), static_cast<int32_t>(s.size())), sink, nullptr,
                   ec);
  EXPECT_TRUE(U_SUCCESS(ec));
  return out;
}

TEST(TextNorm, AgreesWithIcuOnMixedText) {
  // Pieces that take each path: ASCII, characters NFKC leaves alone, the
  // common replacements done without ICU, and what only ICU handles
  // (composing accents, Hangul jamo, ligatures, enclosed forms).
  const std::vector<std::string> pool = {"a",
                                         "Z",
                                         " ",
                                         ".",
                                         "e",
                                         "\xC2\xA0",
                                         "\xE2\x80\xA6",
                                         "\xEF\xBC\xA1",
                                         "\xEF\xBC\x81",
                                         "\xE3\x80\x80",
                                         "\xE2\x80\x82",
                                         "\xE2\x80\x99",
                                         "\xE2\x80\x94",
                                         "\xE8\x92\xB8",
                                         "\xC3\xA9",
                                         "\xCC\x81",
                                         "\xEA\xB0\x80",
                                         "\xE1\x84\x80",
                                         "\xE1\x85\xA1",
                                         "\xE3\x88\xB1",
                                         "\xEF\xAC\x81",
                                         "\xD0\xB4",
                                         "\xE3\x82\xAB",
                                         "\xE3\x82\x99"};
  std::mt19937 rng(42);
  for (int round = 0; round < 3000; ++round) {
    std::string s;
    int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) s += pool[rng() % pool.size()];
    for (bool offsets : {false, true}) {
      textnorm::NormalizedText t;
      t.Assign(s, offsets);
      ASSERT_EQ(std::string(t.text()), IcuNfkc(s)) << "input: " << s;
      if (!offsets) continue;
      std::size_t prev = 0;
      for (std::size_t d = 0; d <= t.text().size(); ++d) {  // offsets stay in order and in bounds
        std::size_t b = t.ToOriginalBegin(d);
        ASSERT_LE(b, s.size());
        ASSERT_GE(b, prev) << "input: " << s;
        prev = b;
        if (d > 0) {
          ASSERT_GE(t.ToOriginalEnd(d), t.ToOriginalBegin(d - 1));
        }
      }
    }
  }
}

TEST(TextNorm, RegexLiteralsAreNormalisedAndFullWidthMetacharactersStayLiteral) {
  EXPECT_EQ(textnorm::NfkcRegex("ＡＩ（芯片）"), "AI\\(芯片\\)");
  EXPECT_EQ(textnorm::NfkcRegex("\\bAI\\b"), "\\bAI\\b");
  EXPECT_EQ(textnorm::NfkcRegex("[ａ－ｚ]"),
            "[a\\-z]");  // a full-width hyphen is a literal, not a range
}

TEST(TextNorm, CjkWordUnits) {
  auto count = [](std::string_view s) { return textnorm::WordStarts(s).size(); };
  EXPECT_EQ(count("export controls on chips"), 4u);
  EXPECT_EQ(count("蒸馏模型"), 4u);            // each Han character
  EXPECT_EQ(count("エヌビディアの輸出"), 4u);  // a katakana run, の, 輸, 出
  EXPECT_EQ(count("엔비디아 H20 칩"), 3u);     // Hangul forms words by runs
  EXPECT_EQ(count("OpenAI指控DeepSeek「蒸餾」"),
            6u);  // OpenAI 指 控 DeepSeek 蒸 餾; brackets separate
}

TEST(Rules, FullWidthAndCompatibilityFormsMatchPlainTerms) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "lab"
words = ["DeepSeek"]
[[rule]]
id = "fw"
words = ["Ｈ２０"]
)");
  ASSERT_TRUE(m);
  EXPECT_TRUE(Matches(*m, "ＤｅｅｐＳｅｅｋ accused of distillation"));
  EXPECT_TRUE(Matches(*m, "ｄｅｅｐｓｅｅｋ"));
  Entry e;
  e.title = "Nvidia H20 licences";
  auto ids = m->Match(e);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(m->rules()[ids[0]].id, "fw");  // the full-width term was normalised as well
}

TEST(Rules, CaseFoldingBeyondAscii) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "ru"
words = ["дипсик"]
[[rule]]
id = "el"
words = ["σύνοδος"]
)");
  ASSERT_TRUE(m);
  EXPECT_TRUE(Matches(*m, "ДИПСИК обвинили в дистилляции"));
  EXPECT_TRUE(Matches(*m, "ΣΎΝΟΔΟΣ κορυφής"));
}

TEST(Rules, HighlightsPointIntoTheOriginalText) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "lab"
near = { terms = ["DeepSeek", "蒸馏"], within = 3 }
)");
  ASSERT_TRUE(m);
  Entry e;
  e.title = "OpenAI指控ＤｅｅｐＳｅｅｋ通过蒸馏复制美国模型";
  auto ids = m->Match(e);
  ASSERT_EQ(ids.size(), 1u);
  Explanation ex = m->Explain(e, {}, ids[0]);
  ASSERT_TRUE(ex.matched);
  ASSERT_EQ(ex.highlights.size(), 2u);
  for (const auto& h : ex.highlights) EXPECT_EQ(e.title.substr(h.begin, h.end - h.begin), h.text);
  EXPECT_EQ(ex.highlights[0].text, "ＤｅｅｐＳｅｅｋ");
  EXPECT_EQ(ex.highlights[1].text, "蒸馏");
}

TEST(Rules, NearCountsCjkCharactersAsWords) {
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "close"
near = { terms = ["DeepSeek", "蒸馏"], within = 4 }
)");
  ASSERT_TRUE(m);
  EXPECT_TRUE(Matches(*m, "OpenAI指控DeepSeek通过蒸馏训练模型"));  // DeepSeek 通 过 蒸: 3 apart
  // One run of Chinese is not one word: far apart in a long sentence.
  EXPECT_FALSE(Matches(*m, "DeepSeek周一发布了新的推理模型并在技术报告中介绍了知识蒸馏方法"));
}

TEST(Rules, NearInAFieldNoLongerThanWithin) {
  // A field of at most within + 1 words holds wherever its terms are (the
  // matcher skips the position search there); one word more and it does not.
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "close"
near = { terms = ["export", "chips"], within = 2 }
)");
  ASSERT_TRUE(m);
  EXPECT_TRUE(Matches(*m, "export of chips"));
  EXPECT_TRUE(Matches(*m, "chips, export!"));
  EXPECT_FALSE(Matches(*m, "export of AI chips"));
  EXPECT_FALSE(Matches(*m, "export", "chips"));  // one field each
  Entry e;
  e.title = "export of chips";
  EXPECT_TRUE(m->Explain(e, {}, 0).matched);  // the explaining path agrees
  e.title = "export of AI chips";
  EXPECT_FALSE(m->Explain(e, {}, 0).matched);
}

TEST(Rules, WordFormsCoverInflections) {
  EXPECT_EQ(WordForms("curb"), (std::vector<std::string>{"curb", "curbs", "curbed", "curbing"}));
  // Both spellings where a final consonant may double: the one that is not
  // a word ("baned") never occurs in text, and "limit~" still finds "limited".
  EXPECT_EQ(WordForms("ban"),
            (std::vector<std::string>{"ban", "bans", "baned", "baning", "banned", "banning"}));
  EXPECT_EQ(WordForms("ease"), (std::vector<std::string>{"ease", "eases", "eased", "easing"}));
  EXPECT_EQ(WordForms("ally"), (std::vector<std::string>{"ally", "allies", "allied", "allying"}));
  EXPECT_EQ(WordForms("tax"), (std::vector<std::string>{"tax", "taxes", "taxed", "taxing"}));
  TempDir dir;
  auto m = Build(dir, R"(
[[rule]]
id = "curbs"
phrases = ["export~ curb~", "ban~"]
)");
  ASSERT_TRUE(m);
  for (const char* t :
       {"US export curbs", "exports curbed", "Exporting curbing", "Nvidia banned", "bans"}) {
    EXPECT_TRUE(Matches(*m, t)) << t;
  }
  for (const char* t : {"export curbside", "bank", "banana", "a banner day"})
    EXPECT_FALSE(Matches(*m, t)) << t;
}

TEST(Rules, UnknownGroupSuggestsTheNearestName) {
  TempDir dir;
  auto rules =
      LoadRuleFile(dir.Write("r.toml",
                             "[groups]\nchinese_labs = [\"DeepSeek\"]\n[[rule]]\nid = \"x\"\n"
                             "any = ['{chinese_lab} distill']\n"));
  ASSERT_FALSE(rules.ok());
  EXPECT_NE(rules.status().message().find(
                "r.toml:5: rule 'x': unknown group {chinese_lab} (did you mean {chinese_labs}?)"),
            std::string::npos)
      << rules.status().message();
}

// ---- feedwatch eval -------------------------------------------------------

TEST(Eval, ScoresTopicsRulesMissesAndFalseAlarms) {
  TempDir dir;
  std::string pack = dir.Write("chips.toml", R"(
[[rule]]
id = "controls"
phrases = ["export controls"]
[[rule]]
id = "smuggling"
words = ["smuggl*"]
)");
  std::string labels =
      dir.Write("labels.tsv",
                "label\ttitle\tsummary\tsource\n"
                "chips\tUS widens export controls\t\tx\n"
                "chips\tTrio charged with smuggling GPUs\t\tx\n"
                "chips\tNvidia cleared to sell H200\tThe licence was approved.\tx\n"
                "neither\tCigarette smuggling ring busted\t\tx\n"
                "neither\tWheat prices rise\t\tx\n"
                "chips+other\tSmuggled chips, and export controls\t\tx\n");
  auto rules = LoadRuleFiles({pack});
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  auto m = Matcher::Build(std::move(*rules));
  ASSERT_TRUE(m.ok());
  auto items = ReadLabels(labels);
  ASSERT_TRUE(items.ok()) << items.status().message();
  EvalOptions opts;
  opts.topic_packs["other"] = "chips";
  auto report = Evaluate(**m, *items, opts);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_EQ(report->topics.size(), 2u);
  const TopicScore& chips = report->topics[0];
  EXPECT_EQ(chips.topic, "chips");
  EXPECT_EQ(chips.tp, 3);
  EXPECT_EQ(chips.fn, 1);
  EXPECT_EQ(chips.fp, 1);
  EXPECT_EQ(chips.tn, 1);
  EXPECT_DOUBLE_EQ(chips.precision(), 0.75);
  EXPECT_DOUBLE_EQ(chips.recall(), 0.75);
  ASSERT_EQ(report->rules.size(), 4u);  // two rules, scored for two topics
  EXPECT_EQ(report->rules[0].rule, "controls");
  EXPECT_EQ(report->rules[0].hits, 2);
  EXPECT_EQ(report->rules[0].only, 1);
  EXPECT_EQ(report->rules[1].rule, "smuggling");  // per topic, in load order
  EXPECT_EQ(report->rules[1].topic, "chips");
  EXPECT_EQ(report->rules[1].false_alarms, 1);
  bool missed_h200 = false;
  for (const auto& miss : report->misses)
    missed_h200 |= miss.item->line == 4 && miss.topic == "chips";
  EXPECT_TRUE(missed_h200);
  bool alarm = false;
  for (const auto& fa : report->false_alarms) {
    if (fa.topic != "chips") continue;
    alarm = fa.item->line == 5 && fa.rules == std::vector<std::string>{"smuggling"} &&
            !fa.highlights.empty() && fa.highlights[0].text == "smuggling";
  }
  EXPECT_TRUE(alarm);

  // Titles alone: the H200 row's summary no longer counts.
  opts.fields = EvalFields::kTitle;
  auto titles = Evaluate(**m, *items, opts);
  ASSERT_TRUE(titles.ok());
  EXPECT_EQ(titles->topics[0].tp, 3);
}

TEST(Eval, ClearErrors) {
  TempDir dir;
  std::string pack = dir.Write("chips.toml", "[[rule]]\nid = \"a\"\nwords = [\"chip\"]\n");
  auto m = Matcher::Build(*LoadRuleFiles({pack}));
  ASSERT_TRUE(m.ok());
  auto message = [&](const std::string& tsv) {
    auto items = ReadLabels(dir.Write("l.tsv", tsv));
    return items.ok() ? std::string("ok") : items.status().message();
  };
  EXPECT_NE(message("title\tx\nfoo\ty\n").find("l.tsv:1: the header has no 'label' column"),
            std::string::npos);
  EXPECT_NE(message("").find("empty file"), std::string::npos);
  EXPECT_NE(message("label\ttitle\nchips\tok\nchips\ttoo\tmany\n")
                .find("l.tsv:3: expected 2 tab-separated fields"),
            std::string::npos);
  EXPECT_NE(message("label\ttitle\n\tno label\n").find("l.tsv:2: empty label"), std::string::npos);
  EXPECT_NE(message("label\ttitle\nchips+\tx\n").find("l.tsv:2: malformed label"),
            std::string::npos);

  auto items = ReadLabels(dir.Write("u.tsv", "label\ttitle\nexport\tA chip story\n"));
  ASSERT_TRUE(items.ok());
  auto unknown = Evaluate(**m, *items, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("topic 'export' has no rule pack"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("loaded packs: chips"), std::string::npos);
  EvalOptions bad;
  bad.topic_packs["export"] = "nope";
  auto unknown_pack = Evaluate(**m, *items, bad);
  ASSERT_FALSE(unknown_pack.ok());
  EXPECT_NE(unknown_pack.status().message().find("no loaded rule pack is named 'nope'"),
            std::string::npos);
}

}  // namespace
}  // namespace feedwatch
