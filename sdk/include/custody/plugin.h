/*
 * custody plugin ABI, version 1.1: the contract between custody (the host) and a plugin.
 *
 * A plugin is a shared library that exports two C functions, and since 1.1 optionally a
 * third, and nothing else that custody looks at:
 *
 *   const custody_manifest* custody_plugin_manifest(void);
 *   custody_status custody_plugin_init(const custody_host* host, custody_plugin* plugin);
 *   custody_status custody_plugin_check_config(const char* config, size_t size,
 *                                              custody_result* result);       (optional)
 *
 * Life of a plugin, as the host drives it:
 *
 *   load     dlopen(RTLD_NOW | RTLD_LOCAL). The library is never unloaded while the process
 *            runs, so code and static data stay valid until exit.
 *   manifest custody_plugin_manifest() is called, possibly many times, possibly by a tool
 *            (`custody plugins check`) that never calls init. It must have no side effects
 *            and must return a pointer to static storage.
 *   check    abi_major must equal the host's CUSTODY_ABI_MAJOR; abi_minor must not exceed
 *            the host's CUSTODY_ABI_MINOR. Otherwise the library is refused, nothing is
 *            called.
 *   init     custody_plugin_init(host, plugin) once, on the plugin's thread. The host has
 *            zero-filled *plugin and set plugin->struct_size to the size it knows; the plugin
 *            fills the fields it knows and sets struct_size to the smaller of the host's and
 *            its own sizeof(custody_plugin). `host` stays valid until destroy returns.
 *   start    plugin->start(instance), on the plugin's thread.
 *   run      the host calls on_records (if the plugin subscribed), on_tick (if it set a tick
 *            interval) and render (report plugins), ALWAYS on the plugin's thread, one call
 *            at a time. A plugin that does all its work in these callbacks needs no locks.
 *   stop     plugin->stop(instance) on the plugin's thread when the host shuts down; it must
 *            return promptly and join any thread the plugin started.
 *   destroy  plugin->destroy(instance), the last call; frees the instance.
 *
 * Every callback may be NULL when the plugin has nothing to do there.
 *
 * Threads: "the plugin's thread" is one thread the host creates for each plugin. Host
 * services (custody_host's functions) may be called from any thread, concurrently, until
 * destroy returns; they block the caller, never the ledger's sequencer.
 *
 * Errors: functions return custody_status. Functions that can fail for reasons a person
 * must read also take a custody_result*, filled with a stable code ("not_found",
 * "permission_denied", ...), the offending field and a message. No C++ exception may cross
 * this boundary in either direction: the C++ helpers (custody/plugin.hpp) catch them.
 *
 * Memory: nothing is freed across the boundary. Strings and bytes passed into a call are
 * borrowed for the duration of that call. Results come back through a custody_sink the
 * caller provides, written during the call.
 *
 * Compatibility: every struct begins with its size and only ever grows by appending
 * fields; a reader never touches bytes beyond the size the writer declared. Fields are
 * never reordered, removed or retyped within a major version. The layout is checked by
 * static assertions in custody's build (tests/plugin/abi_layout.h, compiled as C and C++).
 *
 * Versions: 1.1 added, at the end of custody_host, the plugin's local state (a saved
 * position and a small key/value store). A plugin built against 1.0 loads unchanged in a
 * 1.1 host. A plugin that calls a 1.1 function must first check that the host's table has
 * it (host->abi_minor >= 1, or CUSTODY_HOST_HAS(host, state_put)); the C++ helpers do, and
 * answer CUSTODY_ERR_UNSUPPORTED otherwise.
 *
 * Payloads are Cap'n Proto, from the schemas installed with this SDK (the .capnp files in
 * share/custody/schema): records are record.capnp `Record`s in canonical form; which
 * commands.capnp struct each event payload and each command's data is, custody/types.h
 * says (custody_find_event_type, custody_find_command_type), as does `custody types`.
 */
#ifndef CUSTODY_PLUGIN_H_
#define CUSTODY_PLUGIN_H_

#include <stddef.h>
#include <stdint.h>

#define CUSTODY_ABI_MAJOR 1
#define CUSTODY_ABI_MINOR 1

#if defined(__GNUC__)
#define CUSTODY_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CUSTODY_PLUGIN_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ status codes */

typedef int32_t custody_status;

enum {
  CUSTODY_OK = 0,
  CUSTODY_ERR_INVALID_ARGUMENT = 1,  /* bad input: the result names the field */
  CUSTODY_ERR_NOT_FOUND = 2,         /* the entity asked for does not exist */
  CUSTODY_ERR_PERMISSION_DENIED = 3, /* a capability the operator did not grant */
  CUSTODY_ERR_REJECTED = 4,          /* a command was checked and rejected: see code */
  CUSTODY_ERR_UNAVAILABLE = 5,       /* the host is stopping, or the ledger has failed */
  CUSTODY_ERR_UNSUPPORTED = 6,       /* e.g. a report this plugin does not render */
  CUSTODY_ERR_INTERNAL = 7           /* a bug, or an exception caught at the boundary */
};

/* ------------------------------------------------------------------ manifest */

enum {
  CUSTODY_KIND_SCHEDULER = 1,
  CUSTODY_KIND_DEVICE_DRIVER = 2, /* runs out of process unless configured otherwise */
  CUSTODY_KIND_REPORT = 3,
  CUSTODY_KIND_OTHER = 4
};

/*
 * What a plugin is and what it asks for. Returned by custody_plugin_manifest(); all
 * pointers refer to static storage.
 *
 * Capabilities (the operator's configuration grants a subset; anything not granted fails
 * with CUSTODY_ERR_PERMISSION_DENIED and is logged and recorded in the ledger):
 *   "read"             query state (host->query)
 *   "subscribe"        receive records (host->subscribe)
 *   "submit:<family>"  submit commands whose type starts with "<family>." ("submit:wo"
 *                      covers wo.schedule, wo.release, ...); "submit:*" any family
 * Logging, configuration, the clock and record_json need no capability.
 */
typedef struct custody_manifest {
  uint32_t struct_size;            /* sizeof(custody_manifest) as the plugin was built */
  uint16_t abi_major;              /* CUSTODY_ABI_MAJOR the plugin was built against */
  uint16_t abi_minor;              /* CUSTODY_ABI_MINOR the plugin was built against */
  const char* id;                  /* [a-z0-9][a-z0-9._-]{0,63}; actor is "plugin:<id>" */
  const char* version;             /* the plugin's own version, e.g. "1.4.2" */
  const char* description;         /* one line for operators */
  uint32_t kind;                   /* CUSTODY_KIND_* */
  uint32_t capability_count;       /* entries in capabilities */
  const char* const* capabilities; /* requested capabilities, see above */
} custody_manifest;

/* ------------------------------------------------------------------ values */

/* Where a callee writes a result of any length: write() may be called any number of times
 * during the call the sink was passed to, never after it. */
typedef struct custody_sink {
  uint32_t struct_size;
  uint32_t reserved;
  void* context;
  void (*write)(void* context, const char* data, size_t size);
} custody_sink;

/* The outcome of a call, for people and programs. The caller allocates it and sets
 * struct_size; the callee writes only within struct_size. Text fields are NUL-terminated
 * and truncated to fit. */
typedef struct custody_result {
  uint32_t struct_size;
  custody_status status;
  uint64_t seq;       /* submit: seq of the command's first record */
  uint32_t records;   /* submit: how many records it wrote */
  uint32_t duplicate; /* submit: 1 when the command id was seen before (nothing written) */
  uint8_t hash[32];   /* submit: leaf hash of the first record */
  char code[32];      /* stable error code ("not_found", "permission_denied"); "" when ok */
  char field[128];    /* the offending field ("data.qty"), "" when none */
  char message[512];  /* for people */
} custody_result;

/* One record of the log, delivered to on_records. Every pointer refers to the record bytes
 * and is valid only during the call. Strings are NUL-terminated. */
typedef struct custody_record {
  uint32_t struct_size;
  uint32_t reserved;
  uint64_t seq;
  int64_t recorded_at;    /* ledger clock, ns since the Unix epoch */
  int64_t occurred_at;    /* client or device clock, ns; 0 when not given */
  const char* type;       /* event type: "lot.produced" */
  const char* stream;     /* "lot:L7" */
  const char* actor;      /* "user:alice", "plugin:scheduler", "system" */
  const char* command_id; /* idempotency key of the command that produced it */
  const uint8_t* payload; /* canonical Cap'n Proto of the struct named for `type`,
                             8-byte aligned */
  size_t payload_size;
  const uint8_t* record; /* the whole canonical record.capnp Record, 8-byte aligned */
  size_t record_size;
} custody_record;

/* A command to submit. The host validates it exactly like a command from the CLI and
 * records it with actor "plugin:<id>". */
typedef struct custody_command {
  uint32_t struct_size;
  uint32_t has_expected_version; /* 1: reject with "conflict" unless the stream is at
                                    expected_version */
  const char* type;              /* "reading.record" */
  const char* command_id;        /* idempotency key: a retry returns the first result */
  const uint8_t* data;           /* Cap'n Proto message of the type's struct, in the
                                    standard serialization (capnp::messageToFlatArray) */
  size_t data_size;
  uint64_t expected_version;
  int64_t occurred_at; /* ns since the Unix epoch; 0: not given */
} custody_command;

enum { CUSTODY_LOG_DEBUG = 0, CUSTODY_LOG_INFO = 1, CUSTODY_LOG_WARN = 2, CUSTODY_LOG_ERROR = 3 };

/* ------------------------------------------------------------------ host services */

typedef struct custody_context custody_context; /* opaque, one per plugin */

/*
 * What the host offers. Every function takes host->context first. All are thread-safe and
 * may block the calling thread (a submit waits until the command is durable or rejected).
 */
typedef struct custody_host {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  custody_context* context;

  /* Writes a line to the host's log, tagged with the plugin id. */
  void (*log)(custody_context* ctx, int32_t level, const char* message, size_t size);

  /* Writes the plugin's configuration (the "config" object of its entry in the ledger's
   * config.json, "{}" when none) as JSON to `out`. */
  custody_status (*config)(custody_context* ctx, const custody_sink* out);

  /* Reads state; needs "read". `request` is a JSON object, the answer is JSON written to
   * `out`, the same documents `custody show|board|kpi|logbook|yield|trace|recall|log`
   * print:
   *   {"view":"lot"|"wo"|"exception"|"equipment"|"material"|"party"|"receipt","id":"..."}
   *   {"view":"board","board":"wip"|"exceptions"}
   *   {"view":"kpi","from":"<RFC 3339>","to":"<RFC 3339>"}
   *   {"view":"logbook","equipment":"...","from":"<RFC 3339>","to":"<RFC 3339>"}  (from, to
   *       optional: the equipment's cleanings, calibrations, maintenance and uses)
   *   {"view":"yield","wo":"..."}  (the order's and each step's yield against theory)
   *   {"view":"trace","lot":"...","direction":"forward"|"backward","depth":N}
   *   {"view":"recall","lot":"..."} | {"view":"recall","supplier":"...","supplierLot":"..."}
   *   {"view":"log","from":N,"limit":N,"stream":"..."}   (NDJSON lines)
   *   {"view":"head"}
   *   {"view":"site","from":"<RFC 3339>","to":"<RFC 3339>"}  (the site and its zone's offsets)
   *   {"view":"epcis","seq":N}  (record N's GS1 EPCIS 2.0 events, as an EPCISDocument)
   * Errors (unknown view, missing id, not found) fill `result`. */
  custody_status (*query)(custody_context* ctx, const char* request, size_t size,
                          const custody_sink* out, custody_result* result);

  /* Asks for every record with seq >= from_seq (1: the whole log): first the records
   * already written, then each new one once it is durable, in seq order, in batches to
   * plugin->on_records on the plugin's thread. Needs "subscribe". Calling it again moves the
   * position. Called during on_records it takes effect when that call returns, even with the
   * seq of a record in the batch at hand: that is how a plugin hands records back to have them
   * delivered again (an endpoint that is down), and they count as not yet handled. Delivery
   * never holds up the sequencer: a slow plugin falls behind and catches up from the log. */
  custody_status (*subscribe)(custody_context* ctx, uint64_t from_seq, custody_result* result);

  /* Submits a command and waits until it is durable or rejected. Needs "submit:<family>".
   * CUSTODY_OK with result->seq (and result->duplicate for a retry), or
   * CUSTODY_ERR_REJECTED / _INVALID_ARGUMENT / _PERMISSION_DENIED with code, field and
   * message in result. */
  custody_status (*submit)(custody_context* ctx, const custody_command* command,
                           custody_result* result);

  /* The same with the command as JSON, shaped as a line of `custody append` input
   * ({"type", "commandId", "data", "expectedVersion"?, "occurredAt"?}); "actor" may be
   * left out and, if given, must be "plugin:<id>". */
  custody_status (*submit_json)(custody_context* ctx, const char* command, size_t size,
                                custody_result* result);

  /* The ledger's clock, ns since the Unix epoch. */
  int64_t (*now)(custody_context* ctx);

  /* Calls plugin->on_tick about every interval_ms on the plugin's thread (0: never). */
  custody_status (*set_tick_interval)(custody_context* ctx, uint64_t interval_ms);

  /* Writes a record as JSON (the `custody log` line, payload decoded) to `out`. */
  custody_status (*record_json)(custody_context* ctx, const custody_record* record,
                                const custody_sink* out);

  /* ---- 1.1: local state. Kept by the host for this plugin id in the ledger directory,
   * durable across restarts, but NOT part of the record: not hash-chained, signed, verified,
   * exported or rebuilt. Keep in it only what the plugin could recompute from the log. No
   * capability is needed, and a plugin sees only its own. Every write is on disk (synced)
   * when the call returns. On a ledger open read-only (`custody report`) writes fail with
   * CUSTODY_ERR_PERMISSION_DENIED. */

  /* The seq the plugin last saved as done with, in *seq (0 when it never saved one).
   * Resume with subscribe(*seq + 1). */
  custody_status (*position)(custody_context* ctx, uint64_t* seq, custody_result* result);

  /* Saves the position. A seq beyond the ledger's head is refused (code "out_of_range",
   * field "seq"). Save after the work for those records is done (commands submitted): a
   * restart then resumes after them, and anything redone is a duplicate. */
  custody_status (*save_position)(custody_context* ctx, uint64_t seq, custody_result* result);

  /* Small key/value state: keys are 1-128 bytes (any bytes), values up to 64 KiB, and a
   * plugin holds at most 1024 keys and 1 MiB of keys and values together (code
   * "out_of_range" beyond). state_get writes the value to `out`, or fails with
   * CUSTODY_ERR_NOT_FOUND when the key is absent; state_erase of an absent key is OK. */
  custody_status (*state_get)(custody_context* ctx, const char* key, size_t key_size,
                              const custody_sink* out, custody_result* result);
  custody_status (*state_put)(custody_context* ctx, const char* key, size_t key_size,
                              const uint8_t* value, size_t value_size, custody_result* result);
  custody_status (*state_erase)(custody_context* ctx, const char* key, size_t key_size,
                                custody_result* result);
} custody_host;

/* True when the host's table includes `field` (a function added in a later minor version). */
#define CUSTODY_HOST_HAS(host, field)                                              \
  ((host) != NULL &&                                                               \
   (host)->struct_size >= offsetof(custody_host, field) + sizeof((host)->field) && \
   (host)->field != NULL)

/* ------------------------------------------------------------------ the plugin */

/* What init fills in. `instance` is passed back to every callback. */
typedef struct custody_plugin {
  uint32_t struct_size;
  uint32_t reserved;
  void* instance;

  custody_status (*start)(void* instance);
  /* `count` records in seq order. A failure is logged with the batch's first seq; delivery
   * goes on with the next batch (the plugin keeps its own position if it must not skip). */
  custody_status (*on_records)(void* instance, const custody_record* records, size_t count);
  custody_status (*on_tick)(void* instance, int64_t now);
  /* Renders report `report` with JSON parameters `params` (such as {"wo":"WO-1"}) into
   * `out`. CUSTODY_ERR_UNSUPPORTED for a report the plugin does not make. */
  custody_status (*render)(void* instance, const char* report, const char* params,
                           size_t params_size, const custody_sink* out, custody_result* result);
  void (*stop)(void* instance);
  void (*destroy)(void* instance);
} custody_plugin;

typedef const custody_manifest* (*custody_plugin_manifest_fn)(void);
typedef custody_status (*custody_plugin_init_fn)(const custody_host* host, custody_plugin* plugin);

/* 1.1, an optional third export: checks a configuration (the JSON of the entry's "config")
 * without a host, a ledger or an instance, and without side effects. CUSTODY_OK when the
 * plugin would accept it; CUSTODY_ERR_INVALID_ARGUMENT with code, field ("config.<path>") and
 * message in `result` when not; CUSTODY_ERR_UNSUPPORTED when the plugin checks its settings
 * only when it starts. `custody plugins check --config` and `custody plugins add` call it (in
 * a sandboxed runner), so a bad configuration is refused before anything runs. */
typedef custody_status (*custody_plugin_check_config_fn)(const char* config, size_t size,
                                                         custody_result* result);

#define CUSTODY_PLUGIN_MANIFEST_SYMBOL "custody_plugin_manifest"
#define CUSTODY_PLUGIN_INIT_SYMBOL "custody_plugin_init"
#define CUSTODY_PLUGIN_CHECK_CONFIG_SYMBOL "custody_plugin_check_config"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CUSTODY_PLUGIN_H_ */
