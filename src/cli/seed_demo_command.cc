// lahza seed-demo: a believable demo world. The directory's participants
// (banks, wallets, the Meeza issuer) come from the switch; here: billers and
// charities with their collection accounts, a few thousand customers with
// Arabic names, bank accounts, wallets and cards at the institutions, app
// registrations (PIN 123456 for everyone, hashed once with the minimum
// argon2id cost — demo data only), IPAs, and a history made through the
// real switch that includes every failure kind.
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

#include "app/app.h"
#include "care/case_agents.h"
#include "cli/commands.h"
#include "ipn/switch.h"
#include "ledger/ledger.h"
#include "store/store.h"

namespace lahza::cli {

namespace {

struct Person {
  std::string first_ar, first_en, father_ar, father_en, family_ar, family_en;
  bool female = false;
};

const std::vector<std::pair<const char*, const char*>> kMaleNames = {
    {"محمد", "Mohamed"}, {"أحمد", "Ahmed"},   {"محمود", "Mahmoud"}, {"مصطفى", "Mostafa"}, {"عمر", "Omar"},
    {"يوسف", "Youssef"}, {"كريم", "Karim"},   {"حسن", "Hassan"},    {"إبراهيم", "Ibrahim"}, {"خالد", "Khaled"},
    {"طارق", "Tarek"},   {"عمرو", "Amr"},     {"هشام", "Hesham"},   {"وليد", "Walid"},     {"شريف", "Sherif"},
    {"أيمن", "Ayman"},   {"سامح", "Sameh"},   {"ياسر", "Yasser"},   {"عادل", "Adel"},      {"رامي", "Ramy"}};
const std::vector<std::pair<const char*, const char*>> kFemaleNames = {
    {"منى", "Mona"},     {"فاطمة", "Fatma"},  {"مريم", "Mariam"},   {"نور", "Nour"},       {"سارة", "Sara"},
    {"هبة", "Heba"},     {"ياسمين", "Yasmin"}, {"دينا", "Dina"},     {"رحاب", "Rehab"},     {"إيمان", "Eman"},
    {"شيماء", "Shaimaa"}, {"آية", "Aya"},      {"نهى", "Noha"},      {"أسماء", "Asmaa"},    {"سلمى", "Salma"}};
const std::vector<std::pair<const char*, const char*>> kFamilyNames = {
    {"عبد الرحمن", "Abdelrahman"}, {"السيد", "Elsayed"}, {"الشافعي", "Elshafei"}, {"المصري", "Elmasry"},
    {"عبد الله", "Abdallah"},     {"حسين", "Hussein"},  {"سليمان", "Soliman"},   {"الشريف", "Elsherif"},
    {"منصور", "Mansour"},         {"فهمي", "Fahmy"},    {"رزق", "Rizk"},         {"عثمان", "Osman"},
    {"النجار", "Elnaggar"},       {"جاد", "Gad"},       {"زكي", "Zaki"},         {"الحسيني", "Elhusseiny"}};

const char* kBanks[] = {"NBE", "BM", "CIB", "QNB", "BDC", "AAIB", "HSBC", "ALEX", "FAISAL", "HDB"};

std::string Digits(uint64_t value, int width) {
  std::string text = std::to_string(value);
  if (static_cast<int>(text.size()) < width) text.insert(0, width - text.size(), '0');
  return text.substr(text.size() - width);
}

// A national ID that passes the core validator: century 2 or 3, a real
// birth date, a governorate code from the list, gender in the 13th digit.
std::string NationalIdFor(int index, bool female, std::mt19937& rng) {
  static const int kGovernorates[] = {1, 2, 3, 4, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 31, 32, 33, 34, 35};
  int year = 1960 + static_cast<int>(rng() % 45);
  int month = 1 + static_cast<int>(rng() % 12);
  int day = 1 + static_cast<int>(rng() % 28);
  int governorate = kGovernorates[rng() % std::size(kGovernorates)];
  // The sequence is unique per index, its last digit odd for men, even for women.
  int sequence = (index % 500) * 10 + (female ? 2 : 1) + 2 * static_cast<int>(rng() % 4);
  sequence %= 10000;
  if ((sequence % 2 == 1) == female) sequence = (sequence + 1) % 10000;
  std::string id = std::string(year >= 2000 ? "3" : "2") + Digits(year % 100, 2) + Digits(month, 2) + Digits(day, 2) +
                   Digits(governorate, 2) + Digits(sequence, 4);
  return id + std::to_string(index % 10);
}

int Fail(const std::string& what, const Error& error) {
  std::cerr << "lahza seed-demo: " << what << ": " << error.code << " " << error.detail << "\n";
  return 1;
}

}  // namespace

int SeedDemo(const SeedOptions& options) {
  if (sodium_init() < 0) return 1;
  auto started = std::chrono::steady_clock::now();
  if (options.db.starts_with("sqlite:")) {
    std::filesystem::path file = options.db.substr(7);
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  }
  auto store = store::Open(options.db);
  if (!store) return Fail("open " + options.db, store.error());
  auto ledger = ledger::Ledger::Open(**store);
  if (!ledger) return Fail("ledger", ledger.error());
  auto network = ipn::Switch::Open(**store, **ledger);
  if (!network) return Fail("switch", network.error());
  app::AppOptions app_options;
  app_options.pin_hashing = app::PinHashing::kMinimum;
  auto app = app::App::Open(**store, **network, app_options);
  if (!app) return Fail("app", app.error());
  ipn::Switch& sw = **network;

  auto existing = (*store)->Execute("SELECT COUNT(*) FROM app_customers", {}, store::Mode::kRead);
  if (!existing) return Fail("count", existing.error());
  if (store::AsInt(existing->rows[0][0]) > 0) {
    std::cout << "lahza seed-demo: " << options.db << " already has customers; nothing to do\n";
    return 0;
  }
  std::mt19937 rng(options.seed);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();

  // ---- billers and charities: collection accounts at real banks
  struct Payee { const char* code; const char* category; const char* name_ar; const char* name_en; const char* bank; };
  const Payee billers[] = {
      {"EEHC-CAIRO", "electricity", "شركة شمال القاهرة لتوزيع الكهرباء", "North Cairo Electricity Distribution", "NBE"},
      {"EEHC-ALEX", "electricity", "شركة الإسكندرية لتوزيع الكهرباء", "Alexandria Electricity Distribution", "BM"},
      {"CAIRO-WATER", "water", "الشركة القابضة لمياه الشرب - القاهرة", "Cairo Drinking Water Company", "NBE"},
      {"WE-LANDLINE", "telecom", "المصرية للاتصالات - التليفون الأرضي", "Telecom Egypt landline", "BM"},
      {"VODAFONE-BILL", "telecom", "فاتورة فودافون", "Vodafone postpaid bill", "CIB"},
      {"WE-INTERNET", "internet", "WE إنترنت منزلي", "WE home internet", "BDC"},
      {"ORANGE-DSL", "internet", "أورنج إنترنت منزلي", "Orange home internet", "QNB"}};
  const Payee charities[] = {
      {"57357", "", "مستشفى سرطان الأطفال ٥٧٣٥٧", "Children's Cancer Hospital 57357", "NBE"},
      {"MISR-ELKHEIR", "", "مؤسسة مصر الخير", "Misr El Kheir Foundation", "BM"},
      {"FOOD-BANK", "", "بنك الطعام المصري", "Egyptian Food Bank", "CIB"},
      {"RESALA", "", "جمعية رسالة للأعمال الخيرية", "Resala Charity Organization", "BDC"},
      {"MAGDI-YACOUB", "", "مؤسسة مجدي يعقوب للقلب", "Magdi Yacoub Heart Foundation", "AAIB"}};
  std::vector<store::Row> biller_rows, charity_rows, bill_rows;
  int institutional = 0;
  auto open_institutional = [&](const Payee& payee) -> Result<std::string> {
    ipn::NewAccount account;
    account.account_number = "9" + Digits(static_cast<uint64_t>(++institutional), 12);
    account.name_ar = payee.name_ar;
    account.name_en = payee.name_en;
    account.mobile = "0122" + Digits(static_cast<uint64_t>(9000000 + institutional), 7);
    auto opened = sw.institution(payee.bank)->OpenAccount(account);
    if (!opened) return opened.error();
    return opened->account_number;
  };
  for (const Payee& biller : billers) {
    auto number = open_institutional(biller);
    if (!number) return Fail("biller account", number.error());
    biller_rows.push_back({std::string(biller.code), std::string(biller.category), std::string(biller.name_ar),
                           std::string(biller.name_en), std::string(biller.bank), *number, int64_t{1}});
  }
  for (const Payee& charity : charities) {
    auto number = open_institutional(charity);
    if (!number) return Fail("charity account", number.error());
    charity_rows.push_back({std::string(charity.code), std::string(charity.name_ar), std::string(charity.name_en),
                            std::string(charity.bank), *number, int64_t{1}});
  }

  // ---- customers: accounts at the institutions first (the bank's books),
  // then the app's rows in bulk.
  char pin_hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(pin_hash, "123456", 6, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN) != 0) return 1;
  const char* prefixes[] = {"010", "011", "012", "015"};
  struct Customer { std::string id, mobile_national, mobile_e164, bank, account, name_en; };
  std::vector<Customer> customers(options.customers);
  std::vector<store::Row> customer_rows, account_rows, device_rows;
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex rows_mutex;
  auto open_customers = [&](uint32_t thread_seed) {
    std::mt19937 local(thread_seed);
    for (int i = next++; i < options.customers && !failed; i = next++) {
      bool female = local() % 2 == 0;
      auto& first = female ? kFemaleNames[local() % kFemaleNames.size()] : kMaleNames[local() % kMaleNames.size()];
      auto& father = kMaleNames[local() % kMaleNames.size()];
      auto& family = kFamilyNames[local() % kFamilyNames.size()];
      std::string name_ar = std::string(first.first) + " " + father.first + " " + family.first;
      std::string name_en = std::string(first.second) + " " + father.second + " " + family.second;
      std::string mobile = std::string(prefixes[i % 4]) + Digits(static_cast<uint64_t>(10'000'000 + i * 7919 % 89'999'999), 8);
      const char* bank = kBanks[local() % std::size(kBanks)];
      ipn::NewAccount account;
      account.account_number = Digits(static_cast<uint64_t>(100'000'000 + i), 13);
      account.name_ar = name_ar;
      account.name_en = name_en;
      account.mobile = mobile;
      account.opening_balance = (500 + static_cast<int64_t>(local() % 50'000)) * 100;  // EGP 500..50,500
      auto opened = sw.institution(bank)->OpenAccount(account);
      if (!opened) {
        std::cerr << "customer account: " << opened.error().code << " " << opened.error().detail << "\n";
        failed = true;
        return;
      }
      Customer c{"c_demo" + Digits(static_cast<uint64_t>(i), 6), mobile, "+20" + mobile.substr(1), bank,
                 opened->account_number, name_en};
      std::mt19937 nid_rng(thread_seed + static_cast<uint32_t>(i));
      std::string nid = NationalIdFor(i, female, nid_rng);
      std::lock_guard lock(rows_mutex);
      customers[i] = c;
      int64_t created = now - 86400 * (1 + static_cast<int64_t>(local() % 300));
      customer_rows.push_back({c.id, c.mobile_e164, nid, name_ar, name_en, std::string("active"), std::string(pin_hash),
                               int64_t{0}, int64_t{0}, "a_demo" + Digits(static_cast<uint64_t>(i), 6), created});
      account_rows.push_back({"a_demo" + Digits(static_cast<uint64_t>(i), 6), std::string("bank"), std::string(bank),
                              opened->account_number, opened->iban, std::string(), name_en, created, c.id, int64_t{0}});
      device_rows.push_back({c.id, std::string("demo-device"), created});
    }
  };
  {
    std::vector<std::thread> threads;
    for (uint32_t t = 0; t < 4; ++t) threads.emplace_back(open_customers, options.seed + 1000 * t);
    for (auto& thread : threads) thread.join();
  }
  if (failed) return 1;

  auto tx = (*store)->Begin();
  if (!tx) return Fail("begin", tx.error());
  const std::vector<std::string> customer_columns = {"id", "mobile", "national_id", "name_ar", "name_en", "state", "pin_hash",
                                                     "pin_failures", "pin_locked_until", "default_account", "created_at"};
  const std::vector<std::string> account_columns = {"id", "kind", "participant", "account_number", "iban", "card_masked",
                                                    "holder_name", "linked_at", "customer_id", "unlinked_at"};
  auto insert = [&](const char* table, const std::vector<std::string>& columns, const std::vector<store::Row>& rows) -> Status {
    auto inserted = (*tx)->InsertMany(table, columns, rows, "ON CONFLICT DO NOTHING");
    if (!inserted) return inserted.error();
    return {};
  };
  for (auto [table, columns, rows] :
       {std::tuple{"app_customers", &customer_columns, &customer_rows}, std::tuple{"app_accounts", &account_columns, &account_rows}}) {
    if (auto done = insert(table, *columns, *rows); !done) return Fail(table, done.error());
  }
  if (auto done = insert("app_devices", {"customer_id", "device_id", "created_at"}, device_rows); !done) return Fail("devices", done.error());
  if (auto done = insert("app_billers", {"code", "category", "name_ar", "name_en", "participant", "account_number", "active"}, biller_rows);
      !done) {
    return Fail("billers", done.error());
  }
  if (auto done = insert("app_charities", {"code", "name_ar", "name_en", "participant", "account_number", "active"}, charity_rows);
      !done) {
    return Fail("charities", done.error());
  }
  // Each customer has an electricity and an internet bill waiting.
  for (const Customer& c : customers) {
    bill_rows.push_back({std::string("EEHC-CAIRO"), c.mobile_national.substr(3), int64_t{15'000 + static_cast<int64_t>(rng() % 80'000)},
                         std::string("2026-10"), now + 10 * 86400, std::string()});
    bill_rows.push_back({std::string("WE-INTERNET"), c.mobile_national, int64_t{21'000}, std::string("2026-11"), now + 15 * 86400,
                         std::string()});
  }
  if (auto done = insert("app_bills", {"biller", "subscriber", "amount", "period", "due_at", "paid_ir"}, bill_rows); !done) {
    return Fail("bills", done.error());
  }
  std::string admin_token = options.admin_token.empty() ? "adm_" + std::string(pin_hash).substr(0, 0) : options.admin_token;
  if (options.admin_token.empty()) {
    unsigned char raw[24];
    randombytes_buf(raw, sizeof raw);
    char hex[49];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    admin_token = std::string("adm_") + hex;
  }
  {
    unsigned char digest[32];
    crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(admin_token.data()), admin_token.size(),
                       nullptr, 0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    auto inserted = (*tx)->Execute("INSERT INTO app_admin_tokens (token_hash, name, created_at) VALUES ($1, 'seed-demo', $2)",
                                   std::vector<store::Value>{std::string(hex), now});
    if (!inserted) return Fail("admin token", inserted.error());
  }
  if (auto committed = (*tx)->Commit(); !committed) return Fail("commit", committed.error());
  tx = Error("done");

  // The switch's alias directory: payments "to a mobile number" reach each
  // customer's account; every fifth customer has an IPA.
  for (size_t i = 0; i < customers.size(); ++i) {
    const Customer& c = customers[i];
    if (auto set = sw.SetDefaultAccount(c.mobile_e164, c.bank, c.account); !set) return Fail("default account", set.error());
    if (i % 5 == 0) {
      std::string name = c.name_en.substr(0, c.name_en.find(' '));
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string ipa = name + "." + Digits(i, 4) + "@instapay";
      if (auto registered = sw.RegisterIpa(ipa, c.bank, c.account, c.mobile_e164); registered) {
        std::string base = ipa.substr(0, ipa.find('@'));
        (void)(*store)->Execute("INSERT INTO app_ipas (name, customer_id, account_id, created_at) VALUES ($1, $2, $3, $4)",
                                std::vector<store::Value>{base, c.id, "a_demo" + Digits(i, 6), now});
      }
    }
  }

  // ---- history through the real switch, with every failure kind.
  struct Done { std::string ir, customer, account_id, type, counterparty; int64_t amount, fee, created; };
  std::vector<Done> history;
  auto send = [&](size_t from, ipn::PayeeId payee, int64_t amount, const std::string& type, const std::string& counterparty) {
    const Customer& c = customers[from];
    ipn::SendRequest request;
    request.user_id = c.id;
    request.client_request_id = "seed-" + std::to_string(history.size()) + "-" + Digits(rng(), 8);
    request.payer_participant = c.bank;
    request.payer_account = c.account;
    request.payee = std::move(payee);
    request.amount = amount;
    auto view = sw.Send(request);
    if (view) {
      auto ir = IrReference::Parse(view->ir);
      if (!ir) std::abort();  // the switch issued it: a bug
      history.push_back({view->ir, c.id, "a_demo" + Digits(from, 6), type, counterparty, view->amount, view->fee,
                         app::HistorySecond(*ir)});
    }
    return view;
  };
  auto to_customer = [&](size_t to) { return ipn::PayeeId{ipn::PayeeKind::kMobile, customers[to].mobile_national, {}}; };
  size_t n = customers.size();
  auto random_customer = [&] { return static_cast<size_t>(rng() % n); };
  int plain = std::max(0, options.transfers - 60);
  for (int i = 0; i < plain; ++i) {
    size_t from = random_customer(), to = random_customer();
    if (from == to) continue;
    int64_t amount = (10 + static_cast<int64_t>(rng() % 2000)) * 100;
    int pick = static_cast<int>(rng() % 10);
    if (pick == 0) {
      const Payee& charity = charities[rng() % std::size(charities)];
      auto number = std::get<std::string>(charity_rows[&charity - charities][4]);
      (void)send(from, {ipn::PayeeKind::kAccountNumber, number, charity.bank}, amount, "donation", charity.name_en);
    } else {
      (void)send(from, to_customer(to), amount, "transfer", customers[to].mobile_national);
    }
  }
  // Failure kinds: the payee's bank down, rejecting, timing out after the
  // debit (money held; the reconciler completes or returns it), insufficient
  // funds, an operator reversal and a dispute.
  auto with_fault = [&](const std::string& participant, ipn::Fault fault, int count) {
    (void)sw.SetFault(participant, fault);
    for (int i = 0, sent = 0; sent < count && i < 10 * count; ++i) {
      size_t from = random_customer(), to = random_customer();
      if (from == to || customers[to].bank != participant) continue;
      (void)send(from, to_customer(to), (50 + static_cast<int64_t>(rng() % 500)) * 100, "transfer", customers[to].mobile_national);
      ++sent;
    }
    (void)sw.SetFault(participant, ipn::Fault{});
  };
  with_fault("CIB", ipn::Fault{ipn::Fault::Kind::kDown, 0, false, {}}, 8);
  with_fault("QNB", ipn::Fault{ipn::Fault::Kind::kReject, 0, false, "ipn.account_closed"}, 8);
  with_fault("HSBC", ipn::Fault{ipn::Fault::Kind::kTimeoutAfterDebit, 0, false, {}}, 8);
  with_fault("ALEX", ipn::Fault{ipn::Fault::Kind::kTimeoutAfterDebit, 0, true, {}}, 8);
  for (int i = 0; i < 8; ++i) (void)send(random_customer(), to_customer(random_customer()), 9'000'000'00, "transfer", "");
  int reversed = 0, disputed = 0;
  for (size_t i = 0; i < history.size() && (reversed < 5 || disputed < 5); ++i) {
    auto view = sw.GetTransaction(history[i].ir);
    if (!view || view->state != ipn::TransferState::kCompleted) continue;
    if (reversed < 5 && sw.Reverse(history[i].ir, "ops.demo", "customer sent to the wrong number; payee agreed")) ++reversed;
    else if (disputed < 5 && sw.Dispute(history[i].ir, "ops.demo", "customer reports the payee did not receive it")) ++disputed;
  }
  // Half of the held transfers are settled now, the rest by `lahza serve`'s reconciler.
  auto reconciled = sw.Reconcile();

  std::vector<store::Row> activity;
  for (const Done& d : history) {
    activity.push_back({d.customer, d.ir, std::string("out"), d.type, d.amount, d.fee, d.account_id, d.counterparty,
                        std::string(), std::string(), d.created});
  }
  auto tx2 = (*store)->Begin();
  if (!tx2) return Fail("begin", tx2.error());
  auto inserted = (*tx2)->InsertMany("app_activity",
                                     std::vector<std::string>{"customer_id", "ir", "direction", "type", "amount", "fee", "account_id",
                                                              "counterparty", "counterparty_name", "note", "created_at"},
                                     activity, "ON CONFLICT DO NOTHING");
  if (!inserted) return Fail("history", inserted.error());
  if (auto committed = (*tx2)->Commit(); !committed) return Fail("commit", committed.error());
  sw.SetNotifier({});

  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "lahza seed-demo: " << customers.size() << " customers, " << history.size() << " transactions ("
            << reversed << " reversed by an operator, " << disputed << " disputed), " << std::size(billers) << " billers, "
            << std::size(charities) << " charities in " << seconds << " s\n";
  if (reconciled) std::cout << "  reconciled now: " << reconciled->completed << " completed, " << reconciled->reversed << " reversed\n";
  std::cout << "  sign in as " << customers[0].mobile_national << " / PIN 123456 (device id demo-device)\n";
  std::cout << "  admin token: " << admin_token << "\n";
  // Two demo agents for the agent console: the app's own support queue and
  // one bank's. Tokens are shown once (only their hashes are stored).
  auto agents = care::AgentDirectory::Open(**store);
  if (!agents) return Fail("agents", agents.error());
  for (auto [agent_id, bank, label] : {std::tuple{"agent.support", "", "app support"}, std::tuple{"agent.nbe", "NBE", "bank NBE"}}) {
    auto token = (*agents)->Issue(agent_id, bank);
    if (!token) return Fail("agent token", token.error());
    std::cout << "  agent " << agent_id << " (" << label << "): " << *token << "\n";
  }
  return 0;
}

}  // namespace lahza::cli
