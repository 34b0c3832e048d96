// Dates as feeds write them. RSS says RFC 822; the web says many things.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "feedwatch/feed.h"

namespace feedwatch {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool IsLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

std::optional<std::int64_t> MakeTime(std::int64_t y, unsigned mon, unsigned d, unsigned h,
                                     unsigned mi, unsigned s, std::int64_t offset_seconds) {
  if (y < 1 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > DaysInMonth(y, mon) || h > 24 ||
      mi > 59 || s > 60) {
    return std::nullopt;
  }
  if (h == 24 && (mi != 0 || s != 0)) return std::nullopt;
  if (s == 60) s = 59;  // leap second
  return DaysFromCivil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s - offset_seconds;
}

// ASCII classes without the locale (these run for every date in every feed).
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void SkipSpaceAndCommas() {
    while (pos_ < s_.size() && (IsSpace(s_[pos_]) || s_[pos_] == ',')) ++pos_;
  }
  bool Done() const { return pos_ >= s_.size(); }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Consume(char c) {
    if (Peek() == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Reads up to max_digits digits; returns number of digits read.
  int Number(std::int64_t* out, int max_digits = 9) {
    int n = 0;
    std::int64_t v = 0;
    while (pos_ < s_.size() && n < max_digits && IsDigit(s_[pos_])) {
      v = v * 10 + (s_[pos_] - '0');
      ++pos_;
      ++n;
    }
    if (n) *out = v;
    return n;
  }
  std::string Word() {
    std::string w;
    while (pos_ < s_.size() && IsAlpha(s_[pos_])) {
      w.push_back(Lower(s_[pos_]));
      ++pos_;
    }
    return w;
  }
  std::string_view Rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

int MonthFromName(const std::string& w) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  if (w.size() < 3) return 0;
  for (int i = 0; i < 12; ++i) {
    if (w.compare(0, 3, kMonths[i]) == 0) return i + 1;
  }
  if (w == "sept") return 9;
  return 0;
}

// Parses a zone at the scanner: "Z", "GMT", "UT", "EST", "+0200", "+02:00",
// "GMT+2", "UTC-05:30". Returns false for an unknown zone name.
bool ParseZone(Scanner& sc, std::int64_t* offset) {
  *offset = 0;
  sc.SkipSpaceAndCommas();
  if (sc.Done()) return true;  // no zone: treat as UTC
  std::string name;
  if (IsAlpha(sc.Peek())) {
    name = sc.Word();
    struct Z {
      const char* n;
      int h;
    };
    static constexpr Z kZones[] = {{"z", 0},    {"ut", 0},   {"utc", 0},  {"gmt", 0},  {"est", -5},
                                   {"edt", -4}, {"cst", -6}, {"cdt", -5}, {"mst", -7}, {"mdt", -6},
                                   {"pst", -8}, {"pdt", -7}, {"bst", 1},  {"cet", 1},  {"cest", 2},
                                   {"eet", 2},  {"eest", 3}, {"jst", 9},  {"ist", 5},  {"msk", 3}};
    bool found = false;
    for (const auto& z : kZones) {
      if (name == z.n) {
        *offset = z.h * 3600;
        found = true;
        break;
      }
    }
    if (name == "ist") *offset += 1800;  // India, +05:30
    if (!found) return false;
    if (sc.Done() || (sc.Peek() != '+' && sc.Peek() != '-')) return true;
  }
  char sign = sc.Peek();
  if (sign != '+' && sign != '-') return sc.Done();
  sc.Consume(sign);
  std::int64_t hh = 0, mm = 0;
  int digits = sc.Number(&hh, 4);
  if (digits == 0) return false;
  if (digits == 4) {
    mm = hh % 100;
    hh /= 100;
  } else if (digits == 3) {
    mm = hh % 100;
    hh /= 100;
  } else if (sc.Consume(':')) {
    if (sc.Number(&mm, 2) == 0) return false;
  }
  if (hh > 14 || mm > 59) return false;
  std::int64_t off = hh * 3600 + mm * 60;
  *offset += sign == '-' ? -off : off;
  return true;
}

std::optional<std::int64_t> ParseRfc3339(std::string_view text) {
  Scanner sc(text);
  std::int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (sc.Number(&y, 4) != 4 || !sc.Consume('-') || sc.Number(&mo, 2) != 2) return std::nullopt;
  if (!sc.Consume('-') || sc.Number(&d, 2) != 2) {
    if (!sc.Done()) return std::nullopt;
    d = 1;  // "2024-05" (W3CDTF allows reduced precision)
  }
  std::int64_t offset = 0;
  if (!sc.Done()) {
    if (!sc.Consume('T') && !sc.Consume('t') && !sc.Consume(' ')) return std::nullopt;
    if (sc.Number(&h, 2) != 2 || !sc.Consume(':') || sc.Number(&mi, 2) != 2) return std::nullopt;
    if (sc.Consume(':')) {
      if (sc.Number(&s, 2) != 2) return std::nullopt;
      if (sc.Consume('.') || sc.Consume(',')) {
        std::int64_t frac;
        if (sc.Number(&frac, 18) == 0) return std::nullopt;
      }
    }
    if (!sc.Done()) {
      if (sc.Peek() == 'Z' || sc.Peek() == 'z') {
        sc.Consume(sc.Peek());
      } else if (!ParseZone(sc, &offset)) {
        return std::nullopt;
      }
    }
    sc.SkipSpaceAndCommas();
    if (!sc.Done()) return std::nullopt;
  }
  return MakeTime(y, static_cast<unsigned>(mo), static_cast<unsigned>(d), static_cast<unsigned>(h),
                  static_cast<unsigned>(mi), static_cast<unsigned>(s), offset);
}

// "Tue, 10 Jun 2003 04:00:00 GMT" and variants: no weekday, full or lowercase
// month, two-digit year, missing seconds, "GMT+2", "June 10, 2003".
std::optional<std::int64_t> ParseRfc822(std::string_view text) {
  Scanner sc(text);
  sc.SkipSpaceAndCommas();
  std::int64_t day = 0, year = 0, h = 0, mi = 0, s = 0;
  int month = 0;
  if (IsAlpha(sc.Peek())) {
    std::string w = sc.Word();
    month = MonthFromName(w);  // "June 10, 2003" style; else it was the weekday
    if (month == 0) sc.Consume('.');
    sc.SkipSpaceAndCommas();
  }
  if (month == 0) {
    if (sc.Number(&day, 2) == 0) return std::nullopt;
    sc.SkipSpaceAndCommas();
    sc.Consume('-');
    month = MonthFromName(sc.Word());
    if (month == 0) return std::nullopt;
    sc.Consume('.');
    sc.Consume('-');
  } else {
    if (sc.Number(&day, 2) == 0) return std::nullopt;
  }
  sc.SkipSpaceAndCommas();
  int ydigits = sc.Number(&year, 4);
  if (ydigits == 2)
    year += year < 50 ? 2000 : 1900;
  else if (ydigits != 4)
    return std::nullopt;
  sc.SkipSpaceAndCommas();
  if (IsDigit(sc.Peek())) {
    if (sc.Number(&h, 2) == 0 || !sc.Consume(':') || sc.Number(&mi, 2) != 2) return std::nullopt;
    if (sc.Consume(':') && sc.Number(&s, 2) != 2) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (!ParseZone(sc, &offset)) return std::nullopt;
  sc.SkipSpaceAndCommas();
  if (!sc.Done()) return std::nullopt;
  return MakeTime(year, static_cast<unsigned>(month), static_cast<unsigned>(day),
                  static_cast<unsigned>(h), static_cast<unsigned>(mi), static_cast<unsigned>(s),
                  offset);
}

}  // namespace

std::optional<std::int64_t> ParseDate(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  if (text.empty() || text.size() > 64) return std::nullopt;
  if (text.size() >= 7 && IsDigit(text[0]) && text[4] == '-') {
    return ParseRfc3339(text);
  }
  return ParseRfc822(text);
}

}  // namespace feedwatch
