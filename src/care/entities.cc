#include "care/entities.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <span>

#include "care/arabic.h"
#include "care/channels_internal.h"
#include "core/ascii.h"
#include "core/ipa.h"
#include "core/ir_reference.h"
#include "core/mobile.h"

namespace lahza::care {

namespace {

using std::string_view;

// Letters for boundary purposes: ASCII letters/digits and any non-ASCII byte
// (Arabic letters; NormaliseText has already folded punctuation to ASCII).
bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || std::isalnum(u);
}

size_t SkipSpaces(string_view t, size_t pos) {
  while (pos < t.size() && t[pos] == ' ') ++pos;
  return pos;
}

// Length of the first of `words` found at `pos` (after spaces) ending at a
// word boundary, measured from `pos`; 0 when none matches.
size_t MatchWordAt(string_view t, size_t pos, std::span<const string_view> words) {
  const size_t start = SkipSpaces(t, pos);
  for (string_view w : words) {
    if (t.substr(start, w.size()) != w) continue;
    const size_t end = start + w.size();
    if (end < t.size() && IsWordByte(t[end]) && IsWordByte(w.back())) continue;
    return end - pos;
  }
  return 0;
}

size_t MatchWordAt(string_view t, size_t pos, std::initializer_list<string_view> words) {
  return MatchWordAt(t, pos, std::span<const string_view>(words.begin(), words.size()));
}

bool EndsWithWord(string_view t, size_t end, string_view w) {
  if (end < w.size() || t.substr(end - w.size(), w.size()) != w) return false;
  const size_t start = end - w.size();
  return start == 0 || !IsWordByte(t[start - 1]);
}

// Arabic one-letter prefixes glued to a name: ب (with), و (and), ل (to), ف (in), ك (as).
bool IsArabicPrefixLetter(string_view two) {
  return two == "\xD8\xA8" || two == "\xD9\x88" || two == "\xD9\x84" || two == "\xD9\x81" || two == "\xD9\x83";
}

bool LeftBoundary(string_view t, size_t start) {
  for (int prefixes = 0; prefixes <= 2; ++prefixes) {
    if (start == 0 || !IsWordByte(t[start - 1])) return true;
    if (start < 2 || !IsArabicPrefixLetter(t.substr(start - 2, 2))) return false;
    start -= 2;
  }
  return start == 0 || !IsWordByte(t[start - 1]);
}

// A run of digits at `pos`, possibly with inner separators from `seps` each
// followed by a digit.
size_t NumberRunEnd(string_view t, size_t pos, string_view seps) {
  size_t end = pos;
  while (end < t.size()) {
    if (IsAsciiDigit(t[end])) {
      ++end;
    } else if (seps.find(t[end]) != string_view::npos && end + 1 < t.size() && IsAsciiDigit(t[end + 1])) {
      ++end;
    } else {
      break;
    }
  }
  return end;
}

std::string DigitsOnly(string_view s) {
  std::string out;
  for (char c : s) {
    if (IsAsciiDigit(c)) out += c;
  }
  return out;
}

struct Span {
  size_t begin, end;
};

bool Overlaps(const std::vector<Span>& used, size_t begin, size_t end) {
  return std::any_of(used.begin(), used.end(), [&](const Span& s) { return begin < s.end && s.begin < end; });
}

void FindIpas(string_view t, Entities& out, std::vector<Span>& used) {
  for (size_t at = t.find('@'); at != string_view::npos; at = t.find('@', at + 1)) {
    size_t begin = at;
    while (begin > 0 && (std::isalnum(static_cast<unsigned char>(t[begin - 1])) || t[begin - 1] == '.' ||
                         t[begin - 1] == '_' || t[begin - 1] == '-')) {
      --begin;
    }
    size_t end = at + 1;
    while (end < t.size() && std::isalpha(static_cast<unsigned char>(t[end]))) ++end;
    if (t.substr(at + 1, end - at - 1) != "instapay" || begin == at) continue;
    // A sentence-ending dot before the name is not part of it.
    while (begin < at && (t[begin] == '.' || t[begin] == '-' || t[begin] == '_')) ++begin;
    auto ipa = Ipa::Parse(t.substr(begin, end - begin));
    if (!ipa.ok()) continue;
    if (std::find(out.ipas.begin(), out.ipas.end(), ipa->address()) == out.ipas.end()) out.ipas.push_back(ipa->address());
    used.push_back({begin, end});
  }
}

// IR references and mobile numbers: digit groups that may be written with
// spaces or dashes inside ("IR 001 2345 ...", "010 1234 5678").
void FindReferencesAndMobiles(string_view t, Entities& out, std::vector<Span>& used) {
  for (size_t pos = 0; pos < t.size();) {
    const bool ir_prefix = (t.substr(pos, 2) == "ir") && (pos == 0 || !IsWordByte(t[pos - 1]));
    size_t start = pos;
    if (ir_prefix) {
      start = pos + 2;
      while (start < t.size() && (t[start] == ' ' || t[start] == '-' || t[start] == ':')) ++start;
    } else if (t[pos] == '+' && pos + 1 < t.size() && IsAsciiDigit(t[pos + 1])) {
      start = pos + 1;
    }
    const bool boundary = pos == 0 || !IsWordByte(t[pos - 1]) || ir_prefix;
    if (start >= t.size() || !IsAsciiDigit(t[start]) || !boundary || Overlaps(used, pos, pos + 1)) {
      ++pos;
      continue;
    }
    const size_t end = NumberRunEnd(t, start, " -");
    if (end < t.size() && IsWordByte(t[end])) {  // glued to letters: Franco-Arabic or a unit
      pos = end;
      continue;
    }
    // Try the whole group first, then shorter ones ending at a sub-group
    // boundary: "01012345678 500" holds a mobile followed by an amount.
    std::vector<size_t> ends;
    for (size_t i = start; i < end; ++i) {
      if (IsAsciiDigit(t[i]) && (i + 1 == end || !IsAsciiDigit(t[i + 1]))) ends.push_back(i + 1);
    }
    size_t taken_end = 0;
    for (auto it = ends.rbegin(); it != ends.rend() && taken_end == 0; ++it) {
      const std::string digits = DigitsOnly(t.substr(start, *it - start));
      if (digits.size() == 20 || (ir_prefix && digits.size() >= 15 && digits.size() <= 22)) {
        auto ir = IrReference::Parse("IR" + digits);
        if (ir.ok()) {
          if (std::find(out.ir_references.begin(), out.ir_references.end(), ir->str()) == out.ir_references.end()) {
            out.ir_references.push_back(ir->str());
          }
        } else {
          out.invalid_ir_references.push_back("IR" + digits);
        }
        taken_end = *it;
      } else if (!ir_prefix && digits.size() >= 10 && digits.size() <= 14) {
        auto mobile = MobileNumber::Parse(t.substr(pos, *it - pos));
        if (mobile.ok()) {
          if (std::find(out.mobiles.begin(), out.mobiles.end(), mobile->e164()) == out.mobiles.end()) {
            out.mobiles.push_back(mobile->e164());
          }
          taken_end = *it;
        }
      }
    }
    if (taken_end != 0) {
      used.push_back({pos, taken_end});
      pos = taken_end;
    } else {
      // Not a reference or a mobile: step past the first plain number only, so
      // the numbers inside ("500 جنيه 12/11") are read on their own later.
      pos = NumberRunEnd(t, start, "");
    }
  }
}

constexpr string_view kCurrencyAfter[] = {
    "جنيهات", "جنيها", "جنيه", "ج.م.", "ج.م", "جم", "ج", "egp", "l.e.", "l.e", "le", "pounds", "pound",
    "geneh", "gneh", "ginih", "genih", "gnih"};
constexpr string_view kCurrencyBefore[] = {"egp", "le", "l.e.", "l.e"};
constexpr string_view kThousand[] = {"الاف", "الف", "alf", "alaf", "k", "thousand"};
constexpr string_view kMillion[] = {"مليون", "million", "milyon"};

void FindAmounts(string_view t, Entities& out, std::vector<Span>& used) {
  for (size_t pos = 0; pos < t.size(); ++pos) {
    if (!IsAsciiDigit(t[pos]) || (pos > 0 && (IsWordByte(t[pos - 1]) || t[pos - 1] == '.' || t[pos - 1] == ','))) continue;
    const size_t end = NumberRunEnd(t, pos, ",.");
    if (Overlaps(used, pos, end)) {
      pos = end;
      continue;
    }
    size_t after = end;
    int64_t multiplier = 1;
    if (size_t n = MatchWordAt(t, after, kThousand)) {
      multiplier = 1000;
      after += n;
    } else if (size_t m = MatchWordAt(t, after, kMillion)) {
      multiplier = 1000000;
      after += m;
    }
    size_t currency = MatchWordAt(t, after, kCurrencyAfter);
    bool before = false;
    for (string_view c : kCurrencyBefore) {
      const size_t s = pos > 0 && t[pos - 1] == ' ' ? pos - 1 : pos;
      if (EndsWithWord(t, s, c)) before = true;
    }
    // Glued letters that are not a unit ("3ayez") are Franco-Arabic words.
    if (end < t.size() && IsWordByte(t[end]) && multiplier == 1 && currency == 0) {
      pos = end;
      continue;
    }
    if (multiplier == 1 && currency == 0 && !before) {
      pos = end;
      continue;
    }
    auto amount = Money::Parse(t.substr(pos, end - pos));
    if (amount.ok() && amount->is_positive()) {
      auto total = amount->Multiply(multiplier);
      if (total.ok()) out.amounts.push_back(*total);
    }
    used.push_back({pos, after + currency});
    pos = after + currency;
  }
}

struct DatePart {
  size_t pos;
  std::array<int, 3> ymd;
};
struct TimePart {
  size_t pos;
  std::array<int, 2> hm;
};

// The Cairo calendar day `days` away from today. Anchored at noon: around a
// DST change a day is 23 or 25 hours, and Cairo changes at midnight.
std::array<int, 3> ShiftDays(Instant now, int days) {
  const CairoTime today = ToCairo(now);
  auto noon = FromCairo(today.year, today.month, today.day, 12, 0);
  const CairoTime d = ToCairo((noon.ok() ? *noon : now) + std::chrono::hours(24) * days);
  return {d.year, d.month, d.day};
}

// Hour from a clock word and the day-part words after it.
int AdjustHour(string_view t, size_t after, int hour, bool explicit_24h) {
  if (MatchWordAt(t, after, {"pm", "p.m", "مساء", "م", "بالليل", "بليل", "العصر", "عصرا", "الضهر", "الظهر", "ظهرا",
                             "المغرب", "bel leil", "bellel", "el 3asr"})) {
    return hour < 12 ? hour + 12 : hour;
  }
  if (MatchWordAt(t, after, {"am", "a.m", "صباحا", "ص", "الصبح", "الفجر", "bel sob7", "el sob7", "sob7"})) {
    return hour == 12 ? 0 : hour;
  }
  // "الساعة ٣" with no part of day: people report daytime payments, so 1–7
  // means afternoon (15:00, not 03:00). A written "03:00" stays as written.
  if (!explicit_24h && hour >= 1 && hour <= 7) return hour + 12;
  return hour;
}

void FindTimes(string_view t, Instant now, Entities& out, const std::vector<Span>& used) {
  std::vector<DatePart> dates;
  std::vector<TimePart> times;
  const CairoTime today = ToCairo(now);

  // Relative days, longest phrases first.
  struct Relative {
    string_view word;
    int days;
  };
  static constexpr Relative kRelative[] = {
      {"اول امبارح", -2}, {"اول امس", -2}, {"the day before yesterday", -2}, {"awel embare7", -2},
      {"امبارح", -1},     {"امبارحه", -1}, {"امس", -1},      {"البارحه", -1}, {"yesterday", -1},
      {"embare7", -1},    {"embareh", -1}, {"imbare7", -1},  {"mbare7", -1},   {"el naharda", 0},
      {"النهارده", 0},   {"انهارده", 0},  {"اليوم", 0},     {"today", 0},     {"ennaharda", 0},
      {"elnaharda", 0},   {"naharda", 0}};
  std::vector<Span> taken;
  for (const Relative& r : kRelative) {
    for (size_t at = t.find(r.word); at != string_view::npos; at = t.find(r.word, at + 1)) {
      const size_t end = at + r.word.size();
      if (!LeftBoundary(t, at) || (end < t.size() && IsWordByte(t[end])) || Overlaps(taken, at, end)) continue;
      taken.push_back({at, end});
      dates.push_back({at, ShiftDays(now, r.days)});
    }
  }

  for (size_t pos = 0; pos < t.size(); ++pos) {
    if (!IsAsciiDigit(t[pos]) || (pos > 0 && IsWordByte(t[pos - 1]))) continue;
    const size_t end = NumberRunEnd(t, pos, ":/-");
    if (Overlaps(used, pos, end)) {
      pos = end;
      continue;
    }
    const string_view run = t.substr(pos, end - pos);
    // Dates and clock times are short; long runs (amounts, account numbers)
    // are something else, and would overflow sscanf's %d.
    size_t longest = 0;
    for (size_t i = 0, len = 0; i < run.size(); ++i) {
      len = IsAsciiDigit(run[i]) ? len + 1 : 0;
      longest = std::max(longest, len);
    }
    if (run.size() > 10 || longest > 4) {
      pos = end;
      continue;
    }
    int a = 0, b = 0, c = 0;
    char s1 = 0, s2 = 0;
    const std::string text(run);
    const int fields = std::sscanf(text.c_str(), "%d%c%d%c%d", &a, &s1, &b, &s2, &c);
    if (fields == 3 && s1 == ':' && a < 24 && b < 60 && run.size() <= 5) {
      times.push_back({pos, {AdjustHour(t, end, a, a >= 13 || run[0] == '0'), b}});
    } else if (fields == 3 && s1 == '/' && a >= 1 && a <= 31 && b >= 1 && b <= 12) {
      // Egyptian order: day/month. The year is the latest one not in the future.
      int year = today.year;
      if (b > today.month || (b == today.month && a > today.day)) --year;
      if (FromCairo(year, b, a, 0, 0).ok()) dates.push_back({pos, {year, b, a}});
    } else if (fields == 5 && s1 == '/' && s2 == '/' && c >= 2000 && FromCairo(c, b, a, 0, 0).ok()) {
      dates.push_back({pos, {c, b, a}});
    } else if (fields == 5 && s1 == '-' && s2 == '-' && a >= 2000 && FromCairo(a, b, c, 0, 0).ok()) {
      dates.push_back({pos, {a, b, c}});
    } else if (fields == 1 && a <= 24) {
      // A bare hour after a clock word: "الساعة 3", "sa3a 3", "at 3pm", "3 pm".
      const bool clock_word = EndsWithWord(t, pos > 0 ? pos - 1 : 0, "الساعه") ||
                              EndsWithWord(t, pos > 0 ? pos - 1 : 0, "ساعه") ||
                              EndsWithWord(t, pos > 0 ? pos - 1 : 0, "sa3a") ||
                              EndsWithWord(t, pos > 0 ? pos - 1 : 0, "at");
      const bool day_part = MatchWordAt(t, end, {"pm", "am", "مساء", "صباحا", "الصبح", "بالليل", "العصر", "الضهر"}) > 0;
      if ((clock_word || day_part) && a >= 1 && a < 24) times.push_back({pos, {AdjustHour(t, end, a, a >= 13), 0}});
    }
    pos = end;
  }

  std::sort(dates.begin(), dates.end(), [](const auto& x, const auto& y) { return x.pos < y.pos; });
  std::sort(times.begin(), times.end(), [](const auto& x, const auto& y) { return x.pos < y.pos; });
  if (dates.empty() && times.empty()) return;
  WhenMention first;
  if (!dates.empty()) first.date = dates.front().ymd;
  if (!times.empty()) first.time = times.front().hm;
  if (first.time) {
    std::array<int, 3> day = first.date ? *first.date : std::array<int, 3>{today.year, today.month, today.day};
    auto at = FromCairo(day[0], day[1], day[2], (*first.time)[0], (*first.time)[1]);
    // "الساعة 14:02" said at 10:00 with no day means yesterday's 14:02.
    if (at.ok() && !first.date && *at > now) {
      day = ShiftDays(now, -1);
      at = FromCairo(day[0], day[1], day[2], (*first.time)[0], (*first.time)[1]);
    }
    if (at.ok()) {
      first.date = day;
      first.at = *at;
    }
  }
  out.times.push_back(first);
  for (size_t i = 1; i < dates.size(); ++i) out.times.push_back(WhenMention{dates[i].ymd, std::nullopt, std::nullopt});
}

void FindInstitutions(string_view t, Entities& out) {
  std::vector<Span> taken;
  std::vector<std::pair<size_t, InstitutionMention>> found;
  for (const auto& alias : channels_internal::InstitutionAliases()) {
    const string_view a = alias.normalised;
    if (a.empty()) continue;
    for (size_t at = t.find(a); at != string_view::npos; at = t.find(a, at + 1)) {
      const size_t end = at + a.size();
      if (!LeftBoundary(t, at) || (end < t.size() && IsWordByte(t[end])) || Overlaps(taken, at, end)) continue;
      taken.push_back({at, end});
      found.push_back({at, InstitutionMention{alias.code, std::string(a)}});
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  // Iterate the pair, not a structured binding: lambdas may capture structured
  // bindings only from clang 16, and the fuzz build uses Debian's clang 14.
  for (auto& entry : found) {
    InstitutionMention& mention = entry.second;
    const bool seen = std::any_of(out.institutions.begin(), out.institutions.end(),
                                  [&](const InstitutionMention& m) { return m.code == mention.code; });
    if (!seen) out.institutions.push_back(std::move(mention));
  }
}

}  // namespace

Entities ExtractEntities(std::string_view text, Instant now) {
  const std::string t = NormaliseText(text);
  Entities out;
  std::vector<Span> used;
  FindIpas(t, out, used);
  FindReferencesAndMobiles(t, out, used);
  FindAmounts(t, out, used);
  FindTimes(t, now, out, used);
  FindInstitutions(t, out);
  return out;
}

}  // namespace lahza::care
