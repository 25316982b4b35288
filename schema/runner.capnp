# The local protocol between the plugin host and a plugin runner (custody-runner), the small
# process that hosts a device driver out of process. One Unix stream socket; each direction a
# sequence of Cap'n Proto messages in the standard stream framing (capnp::writeMessageToFd).
#
#   runner -> host   hello (the manifest, after the ABI check) | refused
#   (a probe stops here, or: host -> runner checkConfig; runner -> host configChecked)
#   host -> runner   start (granted capabilities, the plugin's config)
#   runner -> host   started | refused (init or start failed)
#   then, in any order:
#   runner -> host   call (query, subscribe, submit, submitJson, the local state calls) ->
#                    host replies with `reply`
#   runner -> host   log, heartbeat (the plugin's thread is alive), ack (records delivered)
#   host -> runner   records (a batch for the subscription), stop
#
# The host enforces capabilities; the runner only forwards. A runner that stops sending
# heartbeats for the configured hang timeout is killed and restarted.
@0xd1f3b5c0a8e2d947;

$import "/capnp/c++.capnp".namespace("custody::schema");

struct RunnerManifest {
  abiMajor @0 :UInt16;
  abiMinor @1 :UInt16;
  id @2 :Text;
  version @3 :Text;
  description @4 :Text;
  kind @5 :UInt32;
  capabilities @6 :List(Text);
}

struct CallResult {
  ok @0 :Bool;
  code @1 :Text;        # error code name when not ok
  field @2 :Text;
  message @3 :Text;
  seq @4 :UInt64;
  records @5 :UInt32;
  duplicate @6 :Bool;
  hash @7 :Data;
  body @8 :Data;        # a query's answer
}

struct ToRunner {
  union {
    start :group {
      grants @0 :List(Text);
      config @1 :Text;
    }
    reply :group {
      id @2 :UInt64;
      result @3 :CallResult;
    }
    records @4 :List(Data);   # canonical records, consecutive seqs
    stop @5 :Void;
    checkConfig @6 :Text;     # probe: what does the plugin say of this config?
  }
}

struct FromRunner {
  union {
    hello @0 :RunnerManifest;
    refused :group {
      code @1 :Text;
      message @2 :Text;
      field @3 :Text;
    }
    started @4 :Void;
    call :group {
      id @5 :UInt64;
      union {
        query @6 :Text;
        subscribe @7 :UInt64;
        submit :group {
          type @8 :Text;
          commandId @9 :Text;
          data @10 :Data;
          hasExpectedVersion @11 :Bool;
          expectedVersion @12 :UInt64;
          occurredAt @13 :Int64;
        }
        submitJson @14 :Text;
        position @19 :Void;          # reply: seq
        savePosition @20 :UInt64;
        stateGet @21 :Data;          # the key; reply: body
        statePut :group {
          key @22 :Data;
          value @23 :Data;
        }
        stateErase @24 :Data;        # the key
      }
    }
    log :group {
      level @15 :Int32;
      message @16 :Text;
    }
    heartbeat @17 :Void;
    ack @18 :UInt64;          # records delivered through this seq
    configChecked :group {
      verdict @25 :UInt8;     # 0 accepted, 1 refused, 2 not checked
      code @26 :Text;
      field @27 :Text;
      message @28 :Text;
    }
  }
}
