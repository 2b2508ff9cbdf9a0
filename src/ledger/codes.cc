// Result codes of the ledger as stable dotted strings. They are part of the
// API (logs, JSON errors, the message catalogue): never rename one.
#include "ledger/ledger.h"

namespace lahza::ledger {

std::string_view CodeName(AccountCode code) {
  switch (code) {
    case AccountCode::kOk: return "ledger.ok";
    case AccountCode::kIdInvalid: return "ledger.account_id_invalid";
    case AccountCode::kLedgerInvalid: return "ledger.account_ledger_invalid";
    case AccountCode::kFlagsInvalid: return "ledger.account_flags_invalid";
    case AccountCode::kOwnerTooLong: return "ledger.account_owner_too_long";
    case AccountCode::kUserDataTooLong: return "ledger.account_user_data_too_long";
    case AccountCode::kExistsWithDifferentFields: return "ledger.account_exists_with_different_fields";
  }
  return "ledger.unknown";
}

std::string_view CodeName(TransferCode code) {
  switch (code) {
    case TransferCode::kOk: return "ledger.ok";
    case TransferCode::kIdInvalid: return "ledger.transfer_id_invalid";
    case TransferCode::kFlagsInvalid: return "ledger.transfer_flags_invalid";
    case TransferCode::kPendingIdMustBeEmpty: return "ledger.pending_id_must_be_empty";
    case TransferCode::kPendingIdRequired: return "ledger.pending_id_required";
    case TransferCode::kPendingIdSameAsId: return "ledger.pending_id_same_as_id";
    case TransferCode::kTimeoutInvalid: return "ledger.timeout_invalid";
    case TransferCode::kAmountInvalid: return "ledger.amount_invalid";
    case TransferCode::kAmountZero: return "ledger.amount_zero";
    case TransferCode::kAccountIdInvalid: return "ledger.transfer_account_id_invalid";
    case TransferCode::kAccountsMustBeDifferent: return "ledger.accounts_must_be_different";
    case TransferCode::kUserDataTooLong: return "ledger.transfer_user_data_too_long";
    case TransferCode::kExistsWithDifferentFields: return "ledger.transfer_exists_with_different_fields";
    case TransferCode::kDebitAccountNotFound: return "ledger.debit_account_not_found";
    case TransferCode::kCreditAccountNotFound: return "ledger.credit_account_not_found";
    case TransferCode::kLedgerMismatch: return "ledger.accounts_must_have_same_ledger";
    case TransferCode::kExceedsCredits: return "ledger.exceeds_credits";
    case TransferCode::kExceedsDebits: return "ledger.exceeds_debits";
    case TransferCode::kOverflow: return "ledger.overflow";
    case TransferCode::kPendingTransferNotFound: return "ledger.pending_transfer_not_found";
    case TransferCode::kPendingTransferNotPending: return "ledger.pending_transfer_not_pending";
    case TransferCode::kPendingTransferAlreadyPosted: return "ledger.pending_transfer_already_posted";
    case TransferCode::kPendingTransferAlreadyVoided: return "ledger.pending_transfer_already_voided";
    case TransferCode::kPendingTransferExpired: return "ledger.pending_transfer_expired";
    case TransferCode::kPendingDebitAccountMismatch: return "ledger.pending_transfer_has_different_debit_account";
    case TransferCode::kPendingCreditAccountMismatch: return "ledger.pending_transfer_has_different_credit_account";
    case TransferCode::kExceedsPendingAmount: return "ledger.exceeds_pending_amount";
    case TransferCode::kPendingAmountMismatch: return "ledger.pending_transfer_has_different_amount";
  }
  return "ledger.unknown";
}

Error ToError(TransferCode code) { return Error(std::string(CodeName(code))); }
Error ToError(AccountCode code) { return Error(std::string(CodeName(code))); }

}  // namespace lahza::ledger
