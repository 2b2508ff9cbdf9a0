// Every parser against random and mutated input: never crash (the sanitizer
// build runs this too), and whatever is accepted satisfies the parser's
// invariants and survives a round trip through its own output. Money
// arithmetic is checked against 128-bit reference arithmetic.
#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/card.h"
#include "core/iban.h"
#include "core/ipa.h"
#include "core/ir_reference.h"
#include "core/mobile.h"
#include "core/money.h"
#include "core/national_id.h"

namespace lahza {
namespace {

// Pieces that make parsers take interesting paths: ASCII and Arabic digits,
// separators, currency markers, bidi marks, broken UTF-8 and odd bytes.
const std::vector<std::string> kPieces = {
    "0", "1", "2", "5", "9", "٠", "١", "٩", "۵", "٫", "٬", ".", ",", "-", "+", " ", "\u00A0", "\u200F",
    "EGP", "LE", "ج.م", "جنيه", "@", "@instapay", "IR", "EG", "GB", "a", "Z", "_", "00", "20", "+20",
    "\xD9", "\xE2\x80", "\xFF", std::string(1, '\0'), "\n", "507803", "4", "29001010112355", "٢٩"};

std::string RandomText(std::mt19937_64& rng) {
  std::uniform_int_distribution<size_t> count(0, 12);
  std::uniform_int_distribution<size_t> pick(0, kPieces.size() - 1);
  std::string text;
  for (size_t n = count(rng); n > 0; --n) text += kPieces[pick(rng)];
  return text;
}

std::string Mutate(std::string text, std::mt19937_64& rng) {
  std::uniform_int_distribution<int> op(0, 3);
  std::uniform_int_distribution<int> byte(0, 255);
  const size_t at = text.empty() ? 0 : std::uniform_int_distribution<size_t>(0, text.size() - 1)(rng);
  switch (op(rng)) {
    case 0: if (!text.empty()) text.erase(at, 1); break;
    case 1: text.insert(at, 1, static_cast<char>('0' + byte(rng) % 10)); break;
    case 2: if (!text.empty()) text[at] = static_cast<char>(byte(rng)); break;
    case 3: if (at + 1 < text.size()) std::swap(text[at], text[at + 1]); break;
  }
  return text;
}

// Parses `text` with every parser and checks what each accepts.
void CheckAll(const std::string& text) {
  SCOPED_TRACE(text);
  if (auto money = Money::Parse(text)) {
    EXPECT_EQ(Money::Parse(money->ToPlain())->piastres(), money->piastres());
    EXPECT_EQ(Money::Parse(money->ToArabic())->piastres(), money->piastres());
  }
  if (auto id = NationalId::Parse(text, CivilDate{2026, 1, 1})) {
    EXPECT_EQ(id->digits().size(), 14u);
    EXPECT_TRUE(IsValidDate(id->birth_date()));
    EXPECT_LE(id->birth_date(), (CivilDate{2026, 1, 1}));
  }
  if (auto mobile = MobileNumber::Parse(text)) {
    EXPECT_EQ(mobile->e164().size(), 13u);
    EXPECT_EQ(mobile->e164().substr(0, 4), "+201");
    EXPECT_EQ(*MobileNumber::Parse(mobile->e164()), *mobile);
    EXPECT_EQ(*MobileNumber::Parse(mobile->national()), *mobile);
  }
  if (auto iban = Iban::Parse(text)) {
    EXPECT_EQ(IbanMod97(iban->electronic()), 1);
    EXPECT_EQ(*Iban::Parse(iban->printed()), *iban);
  }
  if (auto card = CardNumber::Parse(text)) {
    EXPECT_TRUE(PassesLuhn(card->digits()));
    EXPECT_EQ(card->masked().size(), card->digits().size());
  }
  if (auto ipa = Ipa::Parse(text)) {
    EXPECT_GE(ipa->name().size(), Ipa::kMinNameLength);
    EXPECT_LE(ipa->name().size(), Ipa::kMaxNameLength);
    EXPECT_EQ(*Ipa::Parse(ipa->address()), *ipa);
  }
  if (auto ir = IrReference::Parse(text)) {
    EXPECT_EQ(ir->str().size(), 22u);
    EXPECT_EQ(*IrReference::Parse(ir->str()), *ir);
  }
}

TEST(Robustness, RandomText) {
  std::mt19937_64 rng(20261125);
  for (int i = 0; i < 20'000; ++i) CheckAll(RandomText(rng));
}

TEST(Robustness, MutatedValidInput) {
  const std::vector<std::string> seeds = {
      "١٬٢٥٠٫٥٠ ج.م", "EGP 1,250.50", "-92233720368547758.08", "29001010112355", "٢٩٦٠٢٢٩٠١١٢٣٥٥",
      "+20 100 123 4567", "٠١٢٢٣٣٣٤٤٤٤", "EG38 0019 0005 0000 0000 2631 8000 2", "GB29NWBK60161331926819",
      "4111 1111 1111 1111", "5078031234567890", "mona.ali@instapay", "IR00712345678901234566",
      IrReference::FromParts(5, 123456789).str()};
  std::mt19937_64 rng(42);
  for (const std::string& seed : seeds) {
    std::string text = seed;
    for (int i = 0; i < 3'000; ++i) {
      text = (i % 8 == 0) ? seed : Mutate(text, rng);
      CheckAll(text);
    }
  }
}

// Reference rounding built from floor division (the code under test starts
// from truncation), so the two can disagree if either is wrong.
__int128 ReferencePercentage(int64_t piastres, int64_t bp, Rounding rounding) {
  const __int128 n = static_cast<__int128>(piastres) * bp;
  const __int128 d = 10'000;
  __int128 floor = n / d;
  if (n % d != 0 && n < 0) floor -= 1;
  const __int128 excess = n - floor * d;  // 0 <= excess < d
  if (excess == 0) return floor;
  const __int128 ceil = floor + 1;
  switch (rounding) {
    case Rounding::kFloor: return floor;
    case Rounding::kCeiling: return ceil;
    case Rounding::kTowardZero: return n < 0 ? ceil : floor;
    case Rounding::kAwayFromZero: return n < 0 ? floor : ceil;
    case Rounding::kHalfUp:
      if (2 * excess == d) return n < 0 ? floor : ceil;
      return 2 * excess < d ? floor : ceil;
    case Rounding::kHalfEven:
      if (2 * excess == d) return floor % 2 == 0 ? floor : ceil;
      return 2 * excess < d ? floor : ceil;
  }
  return 0;
}

TEST(Robustness, MoneyArithmeticAgainstReference) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> any(kMin, kMax);
  std::uniform_int_distribution<int64_t> small(-100'000, 100'000);
  std::uniform_int_distribution<int64_t> bps(-20'000, 20'000);
  const Rounding modes[] = {Rounding::kTowardZero, Rounding::kAwayFromZero, Rounding::kFloor,
                            Rounding::kCeiling,    Rounding::kHalfUp,       Rounding::kHalfEven};
  for (int i = 0; i < 50'000; ++i) {
    const int64_t a = (i % 2) ? any(rng) : small(rng);
    const int64_t b = (i % 3) ? any(rng) : small(rng);
    const __int128 sum = static_cast<__int128>(a) + b;
    auto added = Money::FromPiastres(a).Add(Money::FromPiastres(b));
    ASSERT_EQ(added.ok(), sum >= kMin && sum <= kMax) << a << " + " << b;
    if (added.ok()) {
      ASSERT_EQ(added->piastres(), static_cast<int64_t>(sum));
    }
    const __int128 difference = static_cast<__int128>(a) - b;
    auto subtracted = Money::FromPiastres(a).Subtract(Money::FromPiastres(b));
    ASSERT_EQ(subtracted.ok(), difference >= kMin && difference <= kMax) << a << " - " << b;
    const int64_t factor = small(rng);
    const __int128 product = static_cast<__int128>(a) * factor;
    auto multiplied = Money::FromPiastres(a).Multiply(factor);
    ASSERT_EQ(multiplied.ok(), product >= kMin && product <= kMax) << a << " * " << factor;
    if (multiplied.ok()) {
      ASSERT_EQ(multiplied->piastres(), static_cast<int64_t>(product));
    }

    const int64_t bp = bps(rng);
    const Rounding mode = modes[i % 6];
    const __int128 expected = ReferencePercentage(a, bp, mode);
    auto percentage = Money::FromPiastres(a).Percentage(bp, mode);
    ASSERT_EQ(percentage.ok(), expected >= kMin && expected <= kMax) << a << " bp " << bp;
    if (percentage.ok()) {
      ASSERT_EQ(percentage->piastres(), static_cast<int64_t>(expected)) << a << " bp " << bp;
    }

    // Formatting round trips for any value.
    const Money money = Money::FromPiastres(a);
    ASSERT_EQ(Money::Parse(money.ToEnglish())->piastres(), a);
    ASSERT_EQ(Money::Parse(money.ToArabic())->piastres(), a);
  }
}

}  // namespace
}  // namespace lahza
