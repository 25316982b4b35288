// Header-only C++ helpers over the C ABI in custody/plugin.h (C++17 or later).
//
//   class Counter : public custody::sdk::Plugin {
//    public:
//     explicit Counter(custody::sdk::Host host) : Plugin(host) {}
//     void start() override { host().subscribe(1); }
//     void on_records(custody::sdk::Records records) override { seen_ += records.size(); }
//    private:
//     std::size_t seen_ = 0;
//   };
//   static const char* const kCaps[] = {"subscribe"};
//   CUSTODY_PLUGIN(Counter, "counter", "1.0.0", "Counts records", CUSTODY_KIND_OTHER, kCaps)
//
// What the helpers guarantee:
//   - No exception crosses the ABI. Every callback is wrapped: an exception escaping the
//     plugin's constructor or a handler is caught, logged through the host with its what(),
//     and turned into CUSTODY_ERR_INTERNAL (or, for render, a result with code "internal").
//     A Refusal thrown from the constructor or start() becomes its own status instead, and
//     its message reaches the operator in the host's error.
//   - Host calls return an Outcome (status, code, field, message; seq for submits) rather
//     than throwing; check it.
//   - Local state (position, key/value; ABI 1.1) and, with Cap'n Proto, payload<T> and
//     submit<T> (at the end of this file) check that the host and the type map have what
//     they ask for, and say so in the Outcome or exception rather than misreading bytes.
//   - The Plugin object lives from init to destroy; its callbacks run on the plugin's thread
//     one at a time, as plugin.h promises, so members need no locks unless the plugin starts
//     threads of its own.
#ifndef CUSTODY_PLUGIN_HPP_
#define CUSTODY_PLUGIN_HPP_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "custody/plugin.h"

#if __cplusplus >= 201703L
#include <string_view>
#endif

namespace custody {
namespace sdk {

// What a host call or a callback came to.
struct Outcome {
  custody_status status = CUSTODY_OK;
  std::string code;     // "" when ok
  std::string field;    // the offending field, "" when none
  std::string message;  // for people
  std::uint64_t seq = 0;
  std::uint32_t records = 0;
  bool duplicate = false;

  bool ok() const { return status == CUSTODY_OK; }
  explicit operator bool() const { return ok(); }

  static Outcome failure(custody_status status, std::string code, std::string message,
                         std::string field = {}) {
    Outcome o;
    o.status = status;
    o.code = std::move(code);
    o.message = std::move(message);
    o.field = std::move(field);
    return o;
  }
};

// Thrown from a constructor or start() to refuse to run with a reason the operator can act
// on, such as a bad configuration: the host reports `status` (CUSTODY_ERR_INVALID_ARGUMENT
// for a bad config), the message and the field instead of an internal error.
class Refusal : public std::runtime_error {
 public:
  Refusal(custody_status status, const std::string& message, std::string field = {})
      : std::runtime_error(message), status_(status), field_(std::move(field)) {}
  custody_status status() const { return status_; }
  const std::string& field() const { return field_; }

 private:
  custody_status status_;
  std::string field_;
};

namespace detail {

inline custody_result empty_result() {
  custody_result r;
  std::memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  return r;
}

inline Outcome to_outcome(custody_status status, const custody_result& r) {
  Outcome o;
  o.status = status;
  o.code = r.code;
  o.field = r.field;
  o.message = r.message;
  o.seq = r.seq;
  o.records = r.records;
  o.duplicate = r.duplicate != 0;
  return o;
}

inline void copy_text(char* dst, std::size_t size, const std::string& src) {
  const std::size_t n = src.size() < size - 1 ? src.size() : size - 1;
  std::memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

inline void to_result(const Outcome& o, custody_result* r) {
  if (r == nullptr || r->struct_size < offsetof(custody_result, message) + sizeof r->message) {
    return;
  }
  r->status = o.status;
  copy_text(r->code, sizeof r->code, o.code);
  copy_text(r->field, sizeof r->field, o.field);
  copy_text(r->message, sizeof r->message, o.message);
}

inline custody_sink string_sink(std::string& out) {
  custody_sink sink;
  std::memset(&sink, 0, sizeof sink);
  sink.struct_size = sizeof sink;
  sink.context = &out;
  sink.write = [](void* context, const char* data, std::size_t size) {
    static_cast<std::string*>(context)->append(data, size);
  };
  return sink;
}

}  // namespace detail

// The host's services for one plugin. A cheap handle: copy it freely. Every method may be
// called from any thread.
class Host {
 public:
  explicit Host(const custody_host* host) : host_(host) {}

  void log(int level, const std::string& message) const {
    host_->log(host_->context, level, message.data(), message.size());
  }
  void info(const std::string& message) const { log(CUSTODY_LOG_INFO, message); }
  void warn(const std::string& message) const { log(CUSTODY_LOG_WARN, message); }
  void error(const std::string& message) const { log(CUSTODY_LOG_ERROR, message); }

  // The plugin's configuration object as JSON text ("{}" when none).
  std::string config() const {
    std::string out;
    const custody_sink sink = detail::string_sink(out);
    host_->config(host_->context, &sink);
    return out;
  }

  // A query (see plugin.h); the JSON answer goes to `out`.
  Outcome query(const std::string& request, std::string& out) const {
    custody_result r = detail::empty_result();
    const custody_sink sink = detail::string_sink(out);
    return detail::to_outcome(
        host_->query(host_->context, request.data(), request.size(), &sink, &r), r);
  }

  Outcome subscribe(std::uint64_t from_seq) const {
    custody_result r = detail::empty_result();
    return detail::to_outcome(host_->subscribe(host_->context, from_seq, &r), r);
  }

  // Submits Cap'n Proto command data (capnp::messageToFlatArray bytes).
  Outcome submit(const std::string& type, const std::string& command_id, const void* data,
                 std::size_t size, std::int64_t occurred_at = 0) const {
    custody_command c;
    std::memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    c.type = type.c_str();
    c.command_id = command_id.c_str();
    c.data = static_cast<const std::uint8_t*>(data);
    c.data_size = size;
    c.occurred_at = occurred_at;
    custody_result r = detail::empty_result();
    return detail::to_outcome(host_->submit(host_->context, &c, &r), r);
  }

  // Submits a command as JSON (a line of `custody append` input, actor optional).
  Outcome submit_json(const std::string& command) const {
    custody_result r = detail::empty_result();
    return detail::to_outcome(
        host_->submit_json(host_->context, command.data(), command.size(), &r), r);
  }

  std::int64_t now() const { return host_->now(host_->context); }

  void set_tick_interval(std::uint64_t interval_ms) const {
    host_->set_tick_interval(host_->context, interval_ms);
  }

  std::string record_json(const custody_record& record) const {
    std::string out;
    const custody_sink sink = detail::string_sink(out);
    host_->record_json(host_->context, &record, &sink);
    return out;
  }

  // ---- local state (ABI 1.1; a 1.0 host answers CUSTODY_ERR_UNSUPPORTED). Durable across
  // restarts, outside the hash chain; see plugin.h.

  // The seq last saved with save_position (0 when none) in `seq`.
  Outcome position(std::uint64_t& seq) const {
    if (!CUSTODY_HOST_HAS(host_, position)) return unsupported("position");
    custody_result r = detail::empty_result();
    return detail::to_outcome(host_->position(host_->context, &seq, &r), r);
  }
  Outcome save_position(std::uint64_t seq) const {
    if (!CUSTODY_HOST_HAS(host_, save_position)) return unsupported("save_position");
    custody_result r = detail::empty_result();
    return detail::to_outcome(host_->save_position(host_->context, seq, &r), r);
  }
  // Subscribes from the record after the saved position: where the plugin left off.
  Outcome resume() const {
    std::uint64_t seq = 0;
    Outcome o = position(seq);
    if (!o) return o;
    return subscribe(seq + 1);
  }
  // CUSTODY_ERR_NOT_FOUND when the key is absent.
  Outcome state_get(const std::string& key, std::string& value) const {
    if (!CUSTODY_HOST_HAS(host_, state_get)) return unsupported("state_get");
    value.clear();
    custody_result r = detail::empty_result();
    const custody_sink sink = detail::string_sink(value);
    return detail::to_outcome(host_->state_get(host_->context, key.data(), key.size(), &sink, &r),
                              r);
  }
  Outcome state_put(const std::string& key, const std::string& value) const {
    if (!CUSTODY_HOST_HAS(host_, state_put)) return unsupported("state_put");
    custody_result r = detail::empty_result();
    return detail::to_outcome(
        host_->state_put(host_->context, key.data(), key.size(),
                         reinterpret_cast<const std::uint8_t*>(value.data()), value.size(), &r),
        r);
  }
  Outcome state_erase(const std::string& key) const {
    if (!CUSTODY_HOST_HAS(host_, state_erase)) return unsupported("state_erase");
    custody_result r = detail::empty_result();
    return detail::to_outcome(host_->state_erase(host_->context, key.data(), key.size(), &r), r);
  }

  const custody_host* raw() const { return host_; }

 private:
  static Outcome unsupported(const char* what) {
    return Outcome::failure(CUSTODY_ERR_UNSUPPORTED, "unsupported",
                            std::string("the host is older than ABI 1.1 and has no ") + what);
  }

  const custody_host* host_;
};

// A batch of records, valid during on_records only.
class Records {
 public:
  Records(const custody_record* records, std::size_t count) : records_(records), count_(count) {}
  const custody_record* begin() const { return records_; }
  const custody_record* end() const { return records_ + count_; }
  std::size_t size() const { return count_; }
  const custody_record& operator[](std::size_t i) const { return records_[i]; }

 private:
  const custody_record* records_;
  std::size_t count_;
};

// Base class of a plugin. Override what the plugin needs; the defaults do nothing.
class Plugin {
 public:
  explicit Plugin(Host host) : host_(host) {}
  virtual ~Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  virtual void start() {}
  virtual void on_records(Records records) { (void)records; }
  virtual void on_tick(std::int64_t now) { (void)now; }
  // Renders `report` into `out`. The default makes no reports.
  virtual Outcome render(const std::string& report, const std::string& params, std::string& out) {
    (void)params;
    (void)out;
    return Outcome::failure(CUSTODY_ERR_UNSUPPORTED, "unsupported",
                            "this plugin does not render '" + report + "'");
  }
  virtual void stop() {}

  const Host& host() const { return host_; }

 private:
  Host host_;
};

namespace detail {

// Runs f; an escaping exception is logged and becomes CUSTODY_ERR_INTERNAL.
template <typename F>
custody_status guarded(const Host& host, const char* where, F&& f) noexcept {
  try {
    f();
    return CUSTODY_OK;
  } catch (const Refusal& e) {
    try {
      host.error(std::string(where) + " refused: " + e.what() +
                 (e.field().empty() ? std::string() : " (field " + e.field() + ")"));
    } catch (...) {
    }
    return e.status() == CUSTODY_OK ? CUSTODY_ERR_INTERNAL : e.status();
  } catch (const std::exception& e) {
    try {
      host.error(std::string(where) + " threw: " + e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      host.error(std::string(where) + " threw a non-standard exception");
    } catch (...) {
    }
  }
  return CUSTODY_ERR_INTERNAL;
}

template <typename T>
T& self(void* instance) {
  return *static_cast<T*>(instance);
}

template <typename T>
custody_status init(const custody_host* host, custody_plugin* plugin) noexcept {
  if (host == nullptr || plugin == nullptr) return CUSTODY_ERR_INVALID_ARGUMENT;
  if (host->abi_major != CUSTODY_ABI_MAJOR) return CUSTODY_ERR_UNSUPPORTED;
  const Host h(host);
  T* object = nullptr;
  const custody_status s = guarded(h, "constructor", [&] { object = new T(h); });
  if (s != CUSTODY_OK) return s;

  custody_plugin mine;
  std::memset(&mine, 0, sizeof mine);
  mine.instance = object;
  mine.start = [](void* i) noexcept {
    auto& p = self<T>(i);
    return guarded(p.host(), "start", [&] { p.start(); });
  };
  mine.on_records = [](void* i, const custody_record* records, std::size_t count) noexcept {
    auto& p = self<T>(i);
    return guarded(p.host(), "on_records", [&] { p.on_records(Records(records, count)); });
  };
  mine.on_tick = [](void* i, std::int64_t now) noexcept {
    auto& p = self<T>(i);
    return guarded(p.host(), "on_tick", [&] { p.on_tick(now); });
  };
  mine.render = [](void* i, const char* report, const char* params, std::size_t params_size,
                   const custody_sink* out, custody_result* result) noexcept {
    auto& p = self<T>(i);
    Outcome outcome;
    const custody_status caught = guarded(p.host(), "render", [&] {
      std::string text;
      outcome =
          p.render(report ? report : "", std::string(params ? params : "", params_size), text);
      if (outcome.ok() && out != nullptr) out->write(out->context, text.data(), text.size());
    });
    if (caught != CUSTODY_OK) {
      outcome = Outcome::failure(caught, "internal", "the report plugin failed; see the host log");
    }
    to_result(outcome, result);
    return outcome.status;
  };
  mine.stop = [](void* i) noexcept {
    auto& p = self<T>(i);
    guarded(p.host(), "stop", [&] { p.stop(); });
  };
  mine.destroy = [](void* i) noexcept {
    delete static_cast<T*>(i);
  };

  // Fill only what both sides know.
  const std::uint32_t size = plugin->struct_size < sizeof mine
                                 ? plugin->struct_size
                                 : static_cast<std::uint32_t>(sizeof mine);
  mine.struct_size = size;
  std::memcpy(plugin, &mine, size);
  return CUSTODY_OK;
}

// Whether T has `static void check_config(const std::string& config_json)`.
template <typename T, typename = void>
struct has_check_config : std::false_type {};
template <typename T>
struct has_check_config<T, decltype(T::check_config(std::declval<const std::string&>()), void())>
    : std::true_type {};

template <typename T>
custody_status check_config(const char* config, std::size_t size, custody_result* result) noexcept {
  Outcome o;
  if constexpr (has_check_config<T>::value) {
    try {
      T::check_config(std::string(config != nullptr ? config : "", config != nullptr ? size : 0));
    } catch (const Refusal& e) {
      o = Outcome::failure(
          e.status() == CUSTODY_OK ? CUSTODY_ERR_INTERNAL : e.status(),
          e.status() == CUSTODY_ERR_INVALID_ARGUMENT ? "invalid_argument" : "refused", e.what(),
          e.field());
    } catch (const std::exception& e) {
      o = Outcome::failure(CUSTODY_ERR_INTERNAL, "internal",
                           std::string("check_config threw: ") + e.what());
    } catch (...) {
      o = Outcome::failure(CUSTODY_ERR_INTERNAL, "internal", "check_config threw");
    }
  } else {
    (void)config;
    (void)size;
    o = Outcome::failure(CUSTODY_ERR_UNSUPPORTED, "unsupported",
                         "this plugin checks its configuration only when it starts");
  }
  to_result(o, result);
  return o.status;
}

}  // namespace detail
}  // namespace sdk
}  // namespace custody

// Defines the exports for plugin class T (constructible from custody::sdk::Host). CAPS is a
// static array of the capability strings the plugin requests. If T declares
//   static void check_config(const std::string& config_json);   // throws Refusal
// (refuse_config() of custody/settings.hpp does), custody can refuse a bad configuration
// before the plugin runs: `custody plugins check --config`, `custody plugins add`.
#define CUSTODY_PLUGIN(T, ID, VERSION, DESCRIPTION, KIND, CAPS)                                 \
  extern "C" CUSTODY_PLUGIN_EXPORT const custody_manifest* custody_plugin_manifest(void) {      \
    static const custody_manifest manifest = {                                                  \
        sizeof(custody_manifest),                                                               \
        CUSTODY_ABI_MAJOR,                                                                      \
        CUSTODY_ABI_MINOR,                                                                      \
        ID,                                                                                     \
        VERSION,                                                                                \
        DESCRIPTION,                                                                            \
        KIND,                                                                                   \
        static_cast<uint32_t>(sizeof(CAPS) / sizeof((CAPS)[0])),                                \
        CAPS};                                                                                  \
    return &manifest;                                                                           \
  }                                                                                             \
  extern "C" CUSTODY_PLUGIN_EXPORT custody_status custody_plugin_init(const custody_host* host, \
                                                                      custody_plugin* plugin) { \
    return ::custody::sdk::detail::init<T>(host, plugin);                                       \
  }                                                                                             \
  extern "C" CUSTODY_PLUGIN_EXPORT custody_status custody_plugin_check_config(                  \
      const char* config, size_t size, custody_result* result) {                                \
    return ::custody::sdk::detail::check_config<T>(config, size, result);                       \
  }

// ---------------------------------------------------------------- Cap'n Proto helpers (1.1)
//
// When Cap'n Proto's headers are there (custody_plugin_schemas links it), plugin.hpp also
// reads payloads and builds command data with custody's generated structs
// (#include "schema/commands.capnp.h"), checked against the type map in custody/types.h:
//
//   for (const custody_record& r : records) {
//     if (std::strcmp(r.type, "exception.raised") != 0) continue;
//     auto e = custody::sdk::payload<custody::schema::ExceptionRaised>(r);
//     use(e->getException(), e->getSeverity());
//   }
//   custody::sdk::submit<custody::schema::NoteAdd>(host(), "note.add", "n-7",
//       [&](custody::schema::NoteAdd::Builder n) { n.setSubject("shift"); n.setText(text); });
//
// Define CUSTODY_SDK_NO_CAPNP to leave them out.
#if !defined(CUSTODY_SDK_NO_CAPNP) && defined(__has_include)
#if __has_include(<capnp/serialize.h>)
#define CUSTODY_SDK_HAS_CAPNP 1
#endif
#endif

#ifdef CUSTODY_SDK_HAS_CAPNP
#include <capnp/generated-header-support.h>
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdint>
#include <memory>

#include "custody/types.h"

namespace custody {
namespace sdk {

// A struct T read from canonical Cap'n Proto bytes custody handed over: a record's payload
// (payload<T>) or bytes nested in one (decode<T>, e.g. a record.corrected's payload). Canonical
// messages are one segment with no segment table, which capnp::FlatArrayMessageReader would
// misread; this reads them as such. Bytes not 8-byte aligned (nested Data may not be, once
// copied around) are copied first. Otherwise it reads the bytes in place: they must outlive
// the object (a record's, until on_records returns). Neither copyable nor movable.
template <typename T>
class Decoded {
 public:
  Decoded(const void* data, std::size_t size) {
    if (data == nullptr || size == 0 || size % sizeof(capnp::word) != 0) {
      throw std::invalid_argument("not a canonical Cap'n Proto message (" + std::to_string(size) +
                                  " bytes)");
    }
    const capnp::word* words = static_cast<const capnp::word*>(data);
    if (reinterpret_cast<std::uintptr_t>(data) % alignof(capnp::word) != 0) {
      copy_ = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
      std::memcpy(copy_.begin(), data, size);
      words = copy_.begin();
    }
    segment_ = kj::arrayPtr(words, size / sizeof(capnp::word));
    reader_.reset(new capnp::SegmentArrayMessageReader(kj::arrayPtr(&segment_, 1)));
  }
  Decoded(const Decoded&) = delete;
  Decoded& operator=(const Decoded&) = delete;

  typename T::Reader get() const { return reader_->template getRoot<T>(); }
  typename T::Reader operator*() const { return get(); }
  // For e->getField(): the reader is a value, held in a proxy.
  struct Arrow {
    typename T::Reader reader;
    const typename T::Reader* operator->() const { return &reader; }
  };
  Arrow operator->() const { return Arrow{get()}; }
  // Whether the bytes had to be copied to be aligned.
  bool copied() const { return copy_.size() != 0; }

 private:
  kj::Array<capnp::word> copy_;
  kj::ArrayPtr<const capnp::word> segment_;
  std::unique_ptr<capnp::SegmentArrayMessageReader> reader_;
};

namespace detail {
template <typename T>
bool is_struct_of(const custody_type_info* info) {
  return info != nullptr && info->schema_id == capnp::typeId<T>();
}
}  // namespace detail

// Reads bytes holding a T (no check of what they are).
template <typename T>
Decoded<T> decode(const void* data, std::size_t size) {
  return Decoded<T>(data, size);
}
template <typename T>
Decoded<T> decode(capnp::Data::Reader bytes) {
  return Decoded<T>(bytes.begin(), bytes.size());
}

// A record's payload as T. Throws std::invalid_argument when the record's type does not
// carry a T according to custody/types.h (a type newer than this SDK counts: use decode<T>
// on record.payload when you know better). From a callback, the exception is caught and
// logged by the helpers like any other.
template <typename T>
Decoded<T> payload(const custody_record& record) {
  const custody_type_info* info = custody_find_event_type(record.type);
  if (!detail::is_struct_of<T>(info)) {
    throw std::invalid_argument(std::string("a ") + record.type + " record's payload is " +
                                (info != nullptr ? std::string(info->capnp_struct)
                                                 : std::string("of a type unknown to this SDK")) +
                                ", not the struct asked for");
  }
  return Decoded<T>(record.payload, record.payload_size);
}

// Builds the data of a command of `type` as a T with fill(T::Builder), and submits it (see
// Host::submit). A type whose data is not a T is refused here, as invalid_argument on
// field "type", before anything reaches the host.
template <typename T, typename Fill>
Outcome submit(const Host& host, const std::string& type, const std::string& command_id,
               Fill&& fill, std::int64_t occurred_at = 0) {
  const custody_type_info* info = custody_find_command_type(type.c_str());
  if (!detail::is_struct_of<T>(info)) {
    return Outcome::failure(
        CUSTODY_ERR_INVALID_ARGUMENT, "invalid_argument",
        "the data of " + type + " is " +
            (info != nullptr ? std::string(info->capnp_struct)
                             : std::string("unknown: no such command type in this SDK")) +
            ", not the struct given",
        "type");
  }
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<T>());
  const kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  const kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
  return host.submit(type, command_id, bytes.begin(), bytes.size(), occurred_at);
}

}  // namespace sdk
}  // namespace custody
#endif  // CUSTODY_SDK_HAS_CAPNP

#endif  // CUSTODY_PLUGIN_HPP_
