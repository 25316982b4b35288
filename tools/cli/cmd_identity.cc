// People and machines, from the shell of the plant server (for the first administrator, and
// whenever the server is not running):
//   custody user add DIR --id ID --name "Printed Name" --role ROLE [--role ...]
//                        [--password-file F]
//   custody user passwd DIR --id ID [--password-file F]
//   custody token create DIR --id ID --role ROLE [--command TYPE ...] [--description TEXT]
//   custody token list DIR
//   custody token revoke DIR --id ID [--reason TEXT]
// Each change is a record whose actor is the operating-system user ("os:root"). Passwords come
// from a prompt or a file, never from the command line; a token's secret is printed once.
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "cli/cli_common.h"
#include "custody/codec/json_writer.h"
#include "custody/common/encoding.h"
#include "custody/domain/command_codec.h"
#include "custody/domain/identity.h"
#include "custody/server/credentials.h"

namespace custody::cli {
namespace {

std::string new_command_id(std::string_view what) {
  std::array<std::uint8_t, 8> r{};
  randombytes_buf(r.data(), r.size());
  return "cli-" + std::string(what) + "-" + to_hex(r);
}

// Builds and submits one command as the OS user, and waits for its outcome.
Result<ledger::CommandResult> submit(ledger::Ledger& ledger, std::string_view type,
                                     const std::string& data_json) {
  std::string line;
  codec::JsonWriter w(line);
  w.begin_object();
  w.key("type").string(type);
  w.key("commandId").string(new_command_id(type));
  w.key("actor").string(os_actor());
  w.key("data").raw(data_json);
  w.end_object();
  auto cmd = domain::decode_command(line);
  if (!cmd) return std::unexpected(cmd.error());
  return ledger.submit(std::move(*cmd)).get();
}

// The password: the first line of `file`, or typed twice at a terminal without echo.
Result<std::string> read_password(const std::string& file) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return std::unexpected(Error::io("cannot read " + file));
    std::string p;
    std::getline(in, p);
    if (!p.empty() && p.back() == '\r') p.pop_back();
    return p;
  }
  if (::isatty(STDIN_FILENO) == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "no terminal to ask for the password on: give --password-file", "password-file");
  }
  auto ask = [](const char* prompt) {
    std::cerr << prompt << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string p;
    std::getline(std::cin, p);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    return p;
  };
  std::string first = ask("Password: ");
  if (ask("Again: ") != first) {
    return fail(ErrorCode::kInvalidArgument, "the two passwords differ", "password");
  }
  return first;
}

void print_ok(std::string_view key, std::string_view id, std::uint64_t seq) {
  std::string out;
  codec::JsonWriter w(out);
  w.begin_object().key("ok").boolean(true).key(key).string(id).key("seq").uint64(seq);
  w.end_object();
  std::cout << out << "\n";
}

// Hashes and keeps a password, then records that it was set.
int set_password(ledger::Ledger& ledger, const std::string& dir, const std::string& user,
                 const std::string& password) {
  auto credentials = server::Credentials::load(dir);
  if (!credentials) return report(credentials.error());
  auto hash = server::hash_password(password);
  if (!hash) return report(hash.error());
  if (auto r = (*credentials)->set_password_hash(user, std::move(*hash)); !r) {
    return report(r.error());
  }
  std::string data;
  codec::JsonWriter w(data);
  w.begin_object().key("user").string(user).end_object();
  auto r = submit(ledger, "user.set_password", data);
  if (!r) return report(r.error());
  return kExitOk;
}

struct UserArgs {
  std::string dir, id, name, password_file;
  std::vector<std::string> roles;
};

int user_add(const UserArgs& a) {
  std::optional<std::string> password;
  if (!a.password_file.empty() || ::isatty(STDIN_FILENO) != 0) {
    auto p = read_password(a.password_file);
    if (!p) return report(p.error());
    if (auto ok = server::check_password_policy(*p, a.id); !ok) return report(ok.error());
    password = std::move(*p);
  }
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  std::string data;
  codec::JsonWriter w(data);
  w.begin_object().key("user").string(a.id).key("name").string(a.name);
  w.key("roles").begin_array();
  for (const auto& r : a.roles) w.string(r);
  w.end_array().end_object();
  auto added = submit(**ledger, "user.add", data);
  if (!added) return report(added.error());
  if (password) {
    if (int rc = set_password(**ledger, a.dir, a.id, *password); rc != kExitOk) return rc;
  }
  print_ok("user", a.id, added->seq);
  return kExitOk;
}

int user_passwd(const UserArgs& a) {
  auto p = read_password(a.password_file);
  if (!p) return report(p.error());
  if (auto ok = server::check_password_policy(*p, a.id); !ok) return report(ok.error());
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  {
    auto snap = (*ledger)->snapshot();
    auto user = domain::find_user(*snap, a.id);
    if (!user) return report(user.error());
    if (!*user) {
      return report(Error{ErrorCode::kNotFound, "user " + a.id + " does not exist", "id"});
    }
  }
  if (int rc = set_password(**ledger, a.dir, a.id, *p); rc != kExitOk) return rc;
  print_ok("user", a.id, (*ledger)->head().seq);
  return kExitOk;
}

struct TokenArgs {
  std::string dir, id, role, description, reason;
  std::vector<std::string> commands;
};

int token_create(const TokenArgs& a) {
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  auto credentials = server::Credentials::load(a.dir);
  if (!credentials) return report(credentials.error());
  std::string data;
  codec::JsonWriter w(data);
  w.begin_object().key("token").string(a.id).key("role").string(a.role);
  w.key("commandTypes").begin_array();
  for (const auto& c : a.commands) w.string(c);
  w.end_array();
  if (!a.description.empty()) w.key("description").string(a.description);
  w.end_object();
  auto created = submit(**ledger, "token.create", data);
  if (!created) return report(created.error());
  const std::string secret = server::new_token_secret(a.id);
  if (auto r = (*credentials)->set_token_hash(a.id, server::token_hash(secret)); !r) {
    return report(r.error());
  }
  std::string out;
  codec::JsonWriter o(out);
  o.begin_object().key("ok").boolean(true).key("id").string(a.id).key("token").string(secret);
  o.key("seq").uint64(created->seq).end_object();
  std::cout << out << "\n";
  return kExitOk;
}

int token_list(const TokenArgs& a) {
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadOnly);
  if (!ledger) return report(ledger.error());
  auto snap = (*ledger)->snapshot();
  std::string out;
  codec::JsonWriter w(out);
  auto tokens = domain::list_tokens(*snap);
  if (!tokens) return report(tokens.error());
  w.begin_object().key("ok").boolean(true).key("tokens").begin_array();
  for (const auto& t : *tokens) {
    w.begin_object().key("id").string(t.id).key("role").string(t.role);
    w.key("commandTypes").begin_array();
    for (const auto& c : t.command_types) w.string(c);
    w.end_array();
    w.key("description").string(t.description).key("revoked").boolean(t.revoked);
    w.key("createdAt").string(format_rfc3339(t.created_at)).key("createdBy").string(t.created_by);
    w.end_object();
  }
  w.end_array().end_object();
  std::cout << out << "\n";
  return kExitOk;
}

int token_revoke(const TokenArgs& a) {
  auto ledger = open_ledger(a.dir, ledger::OpenMode::kReadWrite);
  if (!ledger) return report(ledger.error());
  std::string data;
  codec::JsonWriter w(data);
  w.begin_object().key("token").string(a.id);
  if (!a.reason.empty()) w.key("reason").string(a.reason);
  w.end_object();
  auto r = submit(**ledger, "token.revoke", data);
  if (!r) return report(r.error());
  print_ok("id", a.id, r->seq);
  return kExitOk;
}

}  // namespace

void add_user(CLI::App& app, Action& run) {
  auto* user = app.add_subcommand("user", "People who sign in: add, passwd");
  user->require_subcommand(1);
  auto a = std::make_shared<UserArgs>();
  auto* add = user->add_subcommand("add", "Add a person with their roles (and password)");
  add->add_option("DIR", a->dir, "Ledger directory")->required();
  add->add_option("--id", a->id, "Sign-in id")->required();
  add->add_option("--name", a->name, "Printed name, shown with their signatures")->required();
  add->add_option(
         "--role", a->roles,
         "A role (repeatable): " +
             [] {
               std::string s;
               for (const auto& r : domain::role_names()) s += (s.empty() ? "" : ", ") + r;
               return s;
             }())
      ->required();
  add->add_option("--password-file", a->password_file,
                  "Read the password from this file's first line (default: ask at the terminal)");
  add->callback([&run, a] {
    run = [a] {
      return user_add(*a);
    };
  });
  auto* passwd = user->add_subcommand("passwd", "Set or reset a person's password");
  passwd->add_option("DIR", a->dir, "Ledger directory")->required();
  passwd->add_option("--id", a->id, "Sign-in id")->required();
  passwd->add_option("--password-file", a->password_file,
                     "Read the password from this file's first line (default: ask)");
  passwd->callback([&run, a] {
    run = [a] {
      return user_passwd(*a);
    };
  });
}

void add_token(CLI::App& app, Action& run) {
  auto* token = app.add_subcommand("token", "API tokens for machines: create, list, revoke");
  token->require_subcommand(1);
  auto a = std::make_shared<TokenArgs>();
  auto* create = token->add_subcommand("create", "Create a token; its secret is printed once");
  create->add_option("DIR", a->dir, "Ledger directory")->required();
  create->add_option("--id", a->id, "Token id (ASCII letters, digits, - . _)")->required();
  create->add_option("--role", a->role, "The token's role")->required();
  create->add_option("--command", a->commands,
                     "Only this command type (repeatable; default: whatever the role may)");
  create->add_option("--description", a->description, "What the token is for");
  create->callback([&run, a] {
    run = [a] {
      return token_create(*a);
    };
  });
  auto* list = token->add_subcommand("list", "The tokens, without secrets");
  list->add_option("DIR", a->dir, "Ledger directory")->required();
  list->callback([&run, a] {
    run = [a] {
      return token_list(*a);
    };
  });
  auto* revoke = token->add_subcommand("revoke", "Revoke a token: it stops working at once");
  revoke->add_option("DIR", a->dir, "Ledger directory")->required();
  revoke->add_option("--id", a->id, "Token id")->required();
  revoke->add_option("--reason", a->reason, "Why");
  revoke->callback([&run, a] {
    run = [a] {
      return token_revoke(*a);
    };
  });
}

}  // namespace custody::cli
