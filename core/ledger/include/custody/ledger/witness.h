// A witness: another party's key that cosigns a ledger's checkpoints, each only after it has
// checked that the checkpoint extends the last one it cosigned. A ledger that rewrites its
// history, or shows different histories to different people, then cannot get the rewritten
// tree cosigned: the witness holds the root it already vouched for.
//
// A witness lives in a folder of its own, on another machine in practice:
//
//   W/witness.key   its Ed25519 signer key (signed-note skey), mode 0600
//   W/witness.pub   its verifier key, for auditors (`verify --witness-key`)
//   W/state.json    {"logKey": vkey of the ledger it witnesses, "origin": the checkpoints'
//                    origin (learnt from the first one), "size": n, "root": hex}: the last
//                    tree it cosigned
//
// A cosignature is an ordinary signed-note signature line by the witness key over the
// checkpoint's text, appended to the note (the signed-note convention of the Go checksum
// database's witnesses). cosign() takes the lock of W/state.json for its whole run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custody/common/error.h"
#include "custody/crypto/sha256.h"

namespace custody::ledger {

class Store;

struct WitnessState {
  std::string log_key;  // the ledger's verifier key
  std::string origin;   // empty until the first cosignature
  std::uint64_t size = 0;
  crypto::Digest root{};  // of `size` records; the empty tree's root while size is 0
};

// Creates the witness folder `dir` (which must not exist) with a new key named `name`,
// witnessing the ledger whose checkpoints `log_key` signs. Returns the witness's verifier
// key. kInvalidArgument: `dir` exists (field "dir"), `log_key` is not a verifier key
// (field "logKey"), `name` is not a key name (field "name").
[[nodiscard]] Result<std::string> witness_init(const std::filesystem::path& dir,
                                               std::string_view name, std::string_view log_key);

[[nodiscard]] Result<WitnessState> witness_state(const std::filesystem::path& dir);

// What the ledger sends to be cosigned: its new checkpoint note and, unless the witness has
// cosigned nothing yet or the same size before, the consistency proof from the witness's
// last size to the note's size (`custody prove DIR --from S --to N`).
struct CosignRequest {
  std::string note;
  std::optional<std::uint64_t> proof_from, proof_to;
  std::vector<crypto::Digest> proof;
};

// Checks `request` against the witness's state and cosigns it: returns the note with the
// witness's signature added, and records the new tree as the last cosigned. Refusals write
// nothing: kInvalidArgument for a malformed note (field "checkpoint") or a missing or
// mismatched proof (field "proof"); kCorruption when the note is not signed by the ledger's
// key, names another origin, is older than the last cosigned tree (a rollback), has the same
// size with another root (a fork), or does not extend it (the proof fails).
[[nodiscard]] Result<std::string> witness_cosign(const std::filesystem::path& dir,
                                                 const CosignRequest& request);

// The ledger's side: the cosignatures witnesses sent back for its checkpoints (followers
// that witness, docs/replication.md), kept beside the ledger in
//
//   DIR/cosigned/<size, 20 digits>.note   the checkpoint of that size as the ledger signed
//                                         it, with every cosignature line received for it
//
// keep_cosignatures() takes a cosigned note: its text must be the text of the checkpoint
// this ledger stored for that size, signed by the ledger's key. Its other signature lines
// are added to the kept note (the witnesses' own signatures are checked by whoever names the
// witnesses' keys: `custody verify --witness-key`). Returns how many lines were new.
// kCorruption (field "note") when the note is not one of this ledger's checkpoints.
[[nodiscard]] Result<std::size_t> keep_cosignatures(Store& store, std::string_view note);

// `note`, a checkpoint this ledger signed, with the cosignatures kept for it: the kept note
// when DIR/cosigned holds one for its size with the same text, every line of `note` and only
// well-formed signature lines; else (none kept, unreadable, or not so) `note` as it is.
// What `custody export` puts in an audit package, so that custody-verify can name witnesses.
[[nodiscard]] std::string with_kept_cosignatures(const std::filesystem::path& dir,
                                                 const std::string& note);

// The kept cosigned checkpoint of the largest size; nullopt when none is kept.
[[nodiscard]] Result<std::optional<std::string>> newest_cosigned(const std::filesystem::path& dir);

}  // namespace custody::ledger
