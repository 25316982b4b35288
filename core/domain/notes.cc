// The shift log: notes about a line, a lot, a shift. The command's data is the event's
// payload.
#include "catalogue.h"

namespace custody::domain {
namespace {

Result<void> decide_note(Decide& d, s::NoteAdd::Reader) {
  d.emit_data("note.added");
  return {};
}

void apply_note(Apply& a, s::NoteAdd::Reader note) {
  a.history("note", sv(note.getSubject()));
}

}  // namespace

const Area& notes_area() {
  static const Area area{
      "notes",
      {command<s::NoteAdd, decide_note>("note.add", {"note.added"}, stream("note", "subject"))},
      {event<s::NoteAdd, apply_note>("note.added",
                                     correctable<s::NoteAdd, nullptr, nullptr>({"text"}))}};
  return area;
}

}  // namespace custody::domain
