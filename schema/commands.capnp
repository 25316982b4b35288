# Command data and event payloads. A command's `data` object in JSON binds to the struct
# named for its type (core/domain/registry.cc); the events a command produces carry
# payloads of the structs named here too. Field names are the JSON contract.
@0xc3a845f6cbc32fac;

$import "/capnp/c++.capnp".namespace("custody::schema");
using A = import "annotations.capnp";

# note.add -> note.added (stream "note:<subject>"): the plant's shift log.
struct NoteAdd {
  subject @0 :Text $A.required $A.id;   # what the note is about: a line, a lot, a shift
  text @1 :Text $A.required;            # the note itself
}
