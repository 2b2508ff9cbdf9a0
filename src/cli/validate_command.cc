// `lahza validate KIND VALUE`: checks one identifier or amount the way the
// app and the care desk do, and prints the verdict with the parsed parts in
// English and Arabic. Exit code 0 when valid, 1 when not, so scripts can use it.
#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/card.h"
#include "core/digits.h"
#include "core/iban.h"
#include "core/ipa.h"
#include "core/ir_reference.h"
#include "core/messages.h"
#include "core/mobile.h"
#include "core/money.h"
#include "core/national_id.h"

namespace lahza::cli {

namespace {

struct Kind {
  const char* name;     // the sub-command
  const char* what_en;  // "national ID"
  const char* what_ar;  // "رقم قومي"
};

void Field(std::ostream& out, std::string_view label, std::string_view value) {
  out << "  " << label << ": " << value << "\n";
}

std::string IsoDate(const CivilDate& date) {
  return std::to_string(date.year) + "-" + ZeroPadded(date.month, 2) + "-" + ZeroPadded(date.day, 2);
}

std::string IsoUtc(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> when{milliseconds{unix_ms}};
  const auto day = floor<days>(when);
  const year_month_day ymd{day};
  const hh_mm_ss<milliseconds> time{when - day};
  return IsoDate(CivilDate{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                           static_cast<int>(static_cast<unsigned>(ymd.day()))}) +
         "T" + ZeroPadded(time.hours().count(), 2) + ":" +
         ZeroPadded(time.minutes().count(), 2) + ":" +
         ZeroPadded(time.seconds().count(), 2) + "Z";
}

// Prints the verdict; returns normally when valid and throws CLI11's
// RuntimeError(1) when not, which CLI11_PARSE turns into exit code 1.
template <class T, class Describe>
void Report(std::ostream& out, const Kind& kind, const Result<T>& result, Describe describe) {
  if (result.ok()) {
    out << "valid " << kind.what_en << " — " << kind.what_ar << " صحيح\n";
    describe(*result);
    return;
  }
  const Message message = MessageFor(result.error().code);
  out << "invalid " << kind.what_en << " — " << kind.what_ar << " غير صحيح\n";
  Field(out, "reason", message.en);
  Field(out, "السبب", message.ar);
  Field(out, "code", result.error().code);
  if (!result.error().detail.empty()) Field(out, "detail", result.error().detail);
  throw CLI::RuntimeError(1);
}

void AddKind(CLI::App& parent, const Kind& kind, const char* description,
             std::function<void(std::ostream&, const Kind&, const std::string&)> run) {
  auto* command = parent.add_subcommand(kind.name, description);
  auto value = std::make_shared<std::string>();
  command->add_option("VALUE", *value, "the text to check, as a person would type it")->required();
  command->callback([kind, value, run] { run(std::cout, kind, *value); });
}

}  // namespace

void AddValidateCommand(CLI::App& app) {
  auto* validate = app.add_subcommand("validate", "Check an identifier or amount and show its parts");
  validate->require_subcommand(1);

  AddKind(*validate, {"national-id", "national ID", "رقم قومي"}, "Egyptian 14-digit national ID",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, NationalId::Parse(value), [&](const NationalId& id) {
              Field(out, "number", id.digits());
              Field(out, "birth date / تاريخ الميلاد", IsoDate(id.birth_date()));
              Field(out, "governorate / المحافظة",
                    ZeroPadded(id.governorate().code, 2) + " " + std::string(id.governorate().name_en) + " — " +
                        std::string(id.governorate().name_ar));
              Field(out, "gender / النوع",
                    std::string(GenderNameEn(id.gender())) + " — " + std::string(GenderNameAr(id.gender())));
              Field(out, "sequence", std::to_string(id.sequence()));
            });
          });

  AddKind(*validate, {"mobile", "mobile number", "رقم موبايل"}, "Egyptian mobile number",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, MobileNumber::Parse(value), [&](const MobileNumber& number) {
              Field(out, "E.164", number.e164());
              Field(out, "national", number.national());
              Field(out, "operator / الشبكة",
                    std::string(OperatorNameEn(number.mobile_operator())) + " — " +
                        std::string(OperatorNameAr(number.mobile_operator())));
            });
          });

  AddKind(*validate, {"iban", "IBAN", "رقم IBAN"}, "IBAN (any registered country; Egyptian parts for EG)",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, Iban::Parse(value), [&](const Iban& iban) {
              Field(out, "IBAN", iban.printed());
              Field(out, "electronic", iban.electronic());
              Field(out, "country", iban.country_code());
              Field(out, "check digits", iban.check_digits());
              if (auto parts = iban.egypt()) {
                Field(out, "bank code / كود البنك", parts->bank_code);
                Field(out, "branch / الفرع", parts->branch_code);
                Field(out, "account / رقم الحساب", parts->account_number);
              } else {
                Field(out, "BBAN", iban.bban());
              }
            });
          });

  AddKind(*validate, {"card", "card number", "رقم كارت"}, "Payment card number (Meeza, Visa, Mastercard)",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, CardNumber::Parse(value), [&](const CardNumber& card) {
              // Never echo the full number: terminals and logs keep it.
              Field(out, "card", card.masked());
              Field(out, "brand / النوع", card.brand().name_en + " — " + card.brand().name_ar);
              Field(out, "digits", std::to_string(card.digits().size()));
            });
          });

  AddKind(*validate, {"ipa", "instant payment address", "عنوان دفع لحظي"}, "Instant payment address name@instapay",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, Ipa::Parse(value), [&](const Ipa& ipa) {
              Field(out, "address", ipa.address());
              Field(out, "name", ipa.name());
            });
          });

  AddKind(*validate, {"amount", "amount", "مبلغ"}, "Amount of money in Egyptian pounds",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, Money::Parse(value), [&](const Money& money) {
              Field(out, "English", money.ToEnglish());
              Field(out, "عربي", money.ToArabic());
              Field(out, "piastres / قروش", std::to_string(money.piastres()));
            });
          });

  AddKind(*validate, {"ir", "IR reference", "رقم مرجعي"}, "Transaction IR reference",
          [](std::ostream& out, const Kind& kind, const std::string& value) {
            Report(out, kind, IrReference::Parse(value), [&](const IrReference& reference) {
              Field(out, "reference", reference.str());
              Field(out, "node", std::to_string(reference.node()));
              Field(out, "issued (UTC)", IsoUtc(reference.issued_unix_ms()));
            });
          });
}

}  // namespace lahza::cli
