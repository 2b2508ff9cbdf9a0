#include "care/case_agents.h"

#include <sodium.h>

#include "care/case_internal.h"

namespace lahza::care {

namespace {

std::string Hex(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string HashToken(std::string_view token) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return Hex(digest, sizeof digest);
}

bool IsAgentId(std::string_view id) {
  if (id.size() < 2 || id.size() > 64) return false;
  for (char ch : id) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<AgentDirectory>> AgentDirectory::Open(store::Store& store) {
  if (sodium_init() < 0) return Error("care.agent_invalid", "libsodium failed to initialise");
  static const std::vector<store::Migration> migrations = {
      {1, "agents",
       "CREATE TABLE care_agents (id TEXT PRIMARY KEY, bank_code TEXT NOT NULL, token_hash TEXT NOT NULL);"
       "CREATE UNIQUE INDEX care_agents_token ON care_agents (token_hash)"},
  };
  LAHZA_TRY(store::Migrate(store, "care_agents", migrations));
  return std::unique_ptr<AgentDirectory>(new AgentDirectory(store));
}

Result<std::string> AgentDirectory::Issue(std::string_view agent_id, std::string_view bank_code) {
  if (!IsAgentId(agent_id)) return Error("care.agent_invalid", "id");
  if (!bank_code.empty() && !internal::IsParticipantCode(bank_code)) return Error("care.agent_invalid", "bank");
  unsigned char random[32];
  randombytes_buf(random, sizeof random);
  std::string token = "agt_" + Hex(random, sizeof random);
  const store::Value p[] = {std::string(agent_id), std::string(bank_code), HashToken(token)};
  LAHZA_TRY(store_.Execute("INSERT INTO care_agents (id, bank_code, token_hash) VALUES ($1, $2, $3) "
                           "ON CONFLICT (id) DO UPDATE SET bank_code = $2, token_hash = $3",
                           p));
  return token;
}

Result<Agent> AgentDirectory::Authenticate(std::string_view token) const {
  // Only the hash is compared, in the database: the token itself never is.
  if (token.size() != 68 || !token.starts_with("agt_")) return Error("care.unauthorized");
  const store::Value p[] = {HashToken(token)};
  auto rows = store_.Execute("SELECT id, bank_code FROM care_agents WHERE token_hash = $1", p, store::Mode::kRead);
  if (!rows.ok()) return rows.error();
  if (rows->rows.empty()) return Error("care.unauthorized");
  return Agent{store::AsText(rows->rows[0][0]), store::AsText(rows->rows[0][1])};
}

}  // namespace lahza::care
