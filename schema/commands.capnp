# Command data and event payloads: the manufacturing domain's vocabulary.
#
# A command's JSON `data` binds to the struct named for its type in core/domain/registry.cc;
# each event a command produces carries a payload of the struct named there too. Field names
# are the JSON contract (docs/commands.md). Quantities are exact decimals with 3 places
# ($A.decimal(3): 12.5 kg is stored as 12500); measurements and limits are Float64; times
# are ns since the Unix epoch ($A.timestamp, RFC 3339 in JSON).
@0xc3a845f6cbc32fac;

$import "/capnp/c++.capnp".namespace("custody::schema");
using A = import "annotations.capnp";

# ---------------------------------------------------------------- shift log

# note.add -> note.added (stream "note:<subject>").
struct NoteAdd {
  subject @0 :Text $A.required $A.id;   # what the note is about: a line, a lot, a shift
  text @1 :Text $A.required;            # the note itself
}

# ---------------------------------------------------------------- master data

enum MaterialKind { raw @0; intermediate @1; finished @2; packaging @3; }

# material.define -> material.defined (stream "material:<material>").
struct MaterialDefine {
  material @0 :Text $A.required $A.id;
  name @1 :Text $A.required;
  uom @2 :Text $A.required $A.id;          # unit of measure: kg, L, case, ea
  kind @3 :MaterialKind;
  requiresRelease @4 :Bool;                # lots start awaiting QA release
  gtin @5 :Text;                           # GS1 GTIN, when the product has one
  shelfLifeDays @6 :UInt32;                # a lot expires this many days after it was made
                                           # (0: no shelf life; its lots carry no expiry)
  bestBeforeDays @7 :UInt32;               # likewise its best-before date, where one applies
  fefo @8 :FefoRule;                       # consuming a lot while an older one is released
  allergenClass @9 :Text $A.id;            # "peanut", "milk": equipment that cleans on an
                                           # allergen change needs cleaning between two classes
  yieldMin @10 :Float64;                   # an order making it completes with an actual yield
  yieldMax @11 :Float64;                   # within these percentages of theoretical, else
                                           # custody raises a quality exception (0: no limit)
}

# What a consumption that skips a released lot of the same material expiring sooner gets.
enum FefoRule { warn @0; enforce @1; }

enum PartyRole { supplier @0; customer @1; }

# party.define -> party.defined (stream "party:<party>").
struct PartyDefine {
  party @0 :Text $A.required $A.id;
  name @1 :Text $A.required;
  role @2 :PartyRole;
  address @3 :Text;
  gln @4 :Text;                            # GS1 GLN of the party's location, when known
}

# equipment.define -> equipment.defined (stream "equipment:<equipment>").
struct EquipmentDefine {
  equipment @0 :Text $A.required $A.id;
  name @1 :Text $A.required;
  workCenter @2 :Text $A.required $A.id;
  params @3 :List(ProcessParam);           # limits that always apply (a cold room's
                                           # temperature); a running step's limits win
  cleanOnChange @4 :Changeover;            # what change of product needs a cleaning first
  cleanEveryHours @5 :UInt32;              # a step starts within this many hours of the last
                                           # cleaning (0: no interval)
  requiresCalibration @6 :Bool;            # a step starts only while a calibration is in force
  idealRate @7 :Int64 $A.decimal(3);       # units an hour it makes at its rated speed, the
                                           # basis of OEE performance (0: none given)
}

# Which change of product on a piece of equipment needs a cleaning before the next start:
# none, any other material (product), or a material of another allergen class.
enum Changeover { none @0; material @1; allergenClass @2; }

struct RoutingInput {
  material @0 :Text $A.required $A.id;
  qtyPerUnit @1 :Int64 $A.decimal(3);      # of the input per unit of the order's material
}

struct ProcessParam {
  name @0 :Text $A.required $A.id;         # what a device reports: "chlorine", "temperature"
  min @1 :Float64;
  max @2 :Float64;
  unit @3 :Text;
}

struct RoutingStep {
  step @0 :Text $A.required $A.id;
  name @1 :Text;
  workCenter @2 :Text $A.required $A.id;
  inputs @3 :List(RoutingInput);           # when given, only these materials may be consumed
  params @4 :List(ProcessParam);           # limits for readings taken while the step runs
  minutesPerUnit @5 :Int64 $A.decimal(3);  # standard time, for scheduling
  critical @6 :Bool;                       # only qualified operators may start, report or
                                           # verify it (qualification.grant)
  reworkTo @7 :List(Text);                 # earlier steps of this routing that this step may
                                           # send work back to (op.rework)
  lineClearance @8 :Bool;                  # starts only on equipment whose line clearance for
                                           # it was recorded and verified (line.clear/verify)
  labelling @9 :Bool;                      # labels are issued to it: it completes only once
                                           # they are reconciled (label.reconcile)
}

# routing.define -> routing.defined (stream "routing:<routing>").
struct RoutingDefine {
  routing @0 :Text $A.required $A.id;
  material @1 :Text $A.required $A.id;     # what the routing makes
  steps @2 :List(RoutingStep) $A.required;
}

# defect.define -> defect.defined (stream "defect:<defect>"): a code of the defect catalogue,
# which scrap (op.report) and rework (op.rework) are explained by.
struct DefectDefine {
  defect @0 :Text $A.required $A.id;
  name @1 :Text $A.required;
  category @2 :Text;                       # a grouping: "appearance", "foreign matter", "pack"
}

# shift.define -> shift.defined (stream "shift:<shift>"): a shift of the site's working day,
# in the site's local time. A Pareto of defects (and later OEE) is broken down by it.
struct ShiftDefine {
  shift @0 :Text $A.required $A.id;
  name @1 :Text;
  start @2 :Text $A.required;              # "06:00"
  end @3 :Text $A.required;                # "14:00"; earlier than start: it ends the next day
}

# ---------------------------------------------------------------- lots

enum LotStatus { awaitingRelease @0; released @1; held @2; rejected @3; }

struct LotQty {
  lot @0 :Text $A.required $A.id;
  qty @1 :Int64 $A.decimal(3) $A.required;
}

# lot.receive (stream "lot:<lot>").
struct LotReceive {
  lot @0 :Text $A.required $A.id;
  material @1 :Text $A.required $A.id;
  qty @2 :Int64 $A.decimal(3) $A.required;
  uom @3 :Text $A.required $A.id;
  supplier @4 :Text $A.required $A.id;
  supplierLot @5 :Text $A.required $A.id;
  location @6 :Text $A.id;                 # default "receiving"
  document @7 :Text;                       # reference document: bill of lading, ASN
  sscc @8 :Text;                           # the logistic unit it came on: an SSCC, 18 digits
  receipt @9 :Text $A.id;                  # the expected receipt (receipt.expect) it is
                                           # received against: checked against it
  produced @10 :Int64 $A.timestamp;        # the supplier's production date, when given
  expires @11 :Int64 $A.timestamp;         # the supplier's expiry (use-by): from this instant
                                           # the lot may not be used; default production +
                                           # the material's shelf life
  bestBefore @12 :Int64 $A.timestamp;      # the supplier's best-before, where one applies
}

# lot.received: what was received and the status it starts in.
struct LotReceived {
  lot @0 :Text;
  material @1 :Text;
  qty @2 :Int64 $A.decimal(3);
  uom @3 :Text;
  supplier @4 :Text;
  supplierLot @5 :Text;
  location @6 :Text;
  document @7 :Text;
  status @8 :LotStatus;
  sscc @9 :Text;                           # set only when the receipt named one
  receipt @10 :Text;                       # set only when received against an expected one
  produced @11 :Int64 $A.timestamp;        # these three set only when known: given, or derived
  expires @12 :Int64 $A.timestamp;         # from the material's shelf life
  bestBefore @13 :Int64 $A.timestamp;
}

# lot.split -> lot.split (stream of the parent): child lots take the parent's material,
# status and location.
struct LotSplit {
  lot @0 :Text $A.required $A.id;
  into @1 :List(LotQty) $A.required;
}

# lot.merge -> lot.merged (stream of the new lot). Each source gives all it has on hand.
struct LotMerge {
  lots @0 :List(Text) $A.required $A.id;
  into @1 :Text $A.required $A.id;
}

struct LotMerged {
  into @0 :Text;
  material @1 :Text;
  sources @2 :List(LotQty);
  status @3 :LotStatus;
  location @4 :Text;
  produced @5 :Int64 $A.timestamp;         # the earliest of its sources' dates, when they
  expires @6 :Int64 $A.timestamp;          # have them
  bestBefore @7 :Int64 $A.timestamp;
}

# lot.move -> lot.moved.
struct LotMove {
  lot @0 :Text $A.required $A.id;
  location @1 :Text $A.required $A.id;
}

# lot.hold -> lot.held; lot.reject -> lot.rejected.
struct LotReason {
  lot @0 :Text $A.required $A.id;
  reason @1 :Text $A.required;
}

# lot.release -> lot.released.
struct LotRef {
  lot @0 :Text $A.required $A.id;
}

# lot.ship -> lot.shipped.
struct LotShip {
  lot @0 :Text $A.required $A.id;
  qty @1 :Int64 $A.decimal(3) $A.required;
  customer @2 :Text $A.required $A.id;
  shipment @3 :Text $A.required $A.id;     # shipment (bill of lading) number; many lots each
  sscc @4 :Text;                           # the logistic unit (pallet) it leaves on: an SSCC,
                                           # 18 digits; what the receiving site scans
}

# ---------------------------------------------------------------- work orders

# wo.create -> wo.created.
struct WoCreate {
  wo @0 :Text $A.required $A.id;
  material @1 :Text $A.required $A.id;
  qty @2 :Int64 $A.decimal(3) $A.required;
  routing @3 :Text $A.required $A.id;
  due @4 :Int64 $A.timestamp $A.required;
}

# wo.release -> wo.released; wo.complete -> wo.completed; wo.close -> wo.closed.
struct WoRef {
  wo @0 :Text $A.required $A.id;
}

# wo.completed: the order's yield at completion (21 CFR 211.188(b)(7)). Theoretical is what the
# components consumed would make with no loss, limited by the scarcest (routing inputs with a
# qtyPerUnit, packaging aside), else the order's quantity; actual is what it produced into lots
# of its material. Both in the order material's unit; absent on records written before.
struct WoCompleted {
  wo @0 :Text;
  theoretical @1 :Int64 $A.decimal(3);
  actual @2 :Int64 $A.decimal(3);
  basis @3 :YieldBasis;
}

enum YieldBasis { unknown @0; components @1; orderQty @2; }

# wo.schedule -> wo.scheduled (stream of the order): a plan for the order's remaining steps,
# from a scheduler (usually plugin:scheduler). A later schedule replaces an earlier one for
# the steps it names; it plans, it does not start anything.
struct ScheduledStep {
  step @0 :Text $A.required $A.id;
  start @1 :Int64 $A.timestamp $A.required;
  end @2 :Int64 $A.timestamp $A.required;
  equipment @3 :Text $A.id;                # the machine it is planned on, when chosen
}

struct WoSchedule {
  wo @0 :Text $A.required $A.id;
  steps @1 :List(ScheduledStep) $A.required;  # in routing order, not overlapping
  plan @2 :Text;                              # the scheduler's plan revision
}

# op.start -> op.started.
struct OpStart {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  equipment @2 :Text $A.required $A.id;
}

# op.complete -> op.completed.
struct OpRef {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
}

# op.verify -> op.verified: a second person's check of a completed step (21 CFR 211.188(b)(11),
# "the identity of the person checking each significant step"). Whoever performed the step
# cannot verify it.
struct OpVerify {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  note @2 :Text;                           # what was checked
}

# line.clear -> line.cleared (stream of the order): before a step whose routing asks for it
# starts, the person clearing the line confirms that the previous order's materials and labels
# are gone from the equipment the step will run on (21 CFR 211.130(e), EU GMP 5.35). The
# equipment must not be running. A second person verifies it (line.verify, an OpVerify); only
# then may the step start, and only there. Any other start on the equipment voids it.
struct LineClear {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  equipment @2 :Text $A.required $A.id;
  materialsRemoved @3 :Bool;               # the previous order's materials, lots, documents
  labelsRemoved @4 :Bool;                  # its labels and printed packaging
  note @5 :Text;
}

# label.reconcile -> label.reconciled (stream of the order): the labels issued to a labelling
# step, accounted for as used, destroyed or returned to the label store (21 CFR 211.125,
# 211.130). Once per step, before it completes. When they do not add up the record stands and
# custody raises a quality exception on the order's lots.
struct LabelReconcile {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  issued @2 :Int64 $A.required;            # labels, counted
  used @3 :Int64;
  destroyed @4 :Int64;                     # damaged, spare, printed but not applied
  returned @5 :Int64;                      # back to the label store unprinted
  note @6 :Text;
}

# lot.consume.
struct LotConsume {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  lot @2 :Text $A.required $A.id;
  qty @3 :Int64 $A.decimal(3) $A.required;
}

# lot.consumed (stream of the consumed lot).
struct LotConsumed {
  wo @0 :Text;
  step @1 :Text;
  lot @2 :Text;
  qty @3 :Int64 $A.decimal(3);
  equipment @4 :Text;
  into @5 :List(Text);     # lots the order already produced: they derive from this one too
  fefoSkipped @6 :Text;    # a released lot of the same material that expires sooner and was
                           # left in stock (first-expired-first-out warned, not enforced)
}

# lot.produce.
struct LotProduce {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  lot @2 :Text $A.required $A.id;
  qty @3 :Int64 $A.decimal(3) $A.required;
  material @4 :Text $A.id;                 # default: the order's material
  location @5 :Text $A.id;
}

# lot.produced (stream of the new lot): its genealogy is part of the record.
struct LotProduced {
  wo @0 :Text;
  step @1 :Text;
  lot @2 :Text;
  qty @3 :Int64 $A.decimal(3);
  material @4 :Text;
  uom @5 :Text;
  location @6 :Text;
  equipment @7 :Text;
  status @8 :LotStatus;
  sources @9 :List(LotQty);                # every lot the order consumed, with quantities
  expires @10 :Int64 $A.timestamp;         # set only when the material has a shelf life:
  bestBefore @11 :Int64 $A.timestamp;      # the event time plus its shelfLifeDays (bestBeforeDays)
}

# lot.transform -> lot.transformed (stream of the new lot): inputs consumed into a new lot
# in one step, outside a work order (backflush, repack, blending, building a pallet): an
# FSMA 204 transformation event.
struct LotTransform {
  lot @0 :Text $A.required $A.id;
  material @1 :Text $A.required $A.id;
  qty @2 :Int64 $A.decimal(3) $A.required;
  inputs @3 :List(LotQty) $A.required;
  location @4 :Text $A.id;                 # default: the first input's location
  equipment @5 :Text $A.id;                # where it happened, when on equipment
  document @6 :Text;                       # reference document (batch sheet, pallet tag)
}

struct LotTransformed {
  lot @0 :Text;
  material @1 :Text;
  qty @2 :Int64 $A.decimal(3);
  uom @3 :Text;
  location @4 :Text;
  status @5 :LotStatus;
  inputs @6 :List(LotQty);
  equipment @7 :Text;
  document @8 :Text;
  expires @9 :Int64 $A.timestamp;          # as for lot.produced
  bestBefore @10 :Int64 $A.timestamp;
}

# op.report -> op.reported. The actor is the operator (piecework pay).
struct OpReport {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  good @2 :Int64 $A.decimal(3);
  scrap @3 :Int64 $A.decimal(3);
  defects @4 :List(DefectQty);             # what the scrap was, by code of the defect catalogue;
                                           # when given, it adds up to scrap
}

# A quantity of one defect.
struct DefectQty {
  defect @0 :Text $A.required $A.id;
  qty @1 :Int64 $A.decimal(3) $A.required;
}

# op.rework -> op.reworked: a quantity found wanting at `step` goes back to the earlier step
# `toStep`, to be processed again from there. The routing's step lists where it may go
# (reworkTo).
struct OpRework {
  wo @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;
  toStep @2 :Text $A.required $A.id;
  qty @3 :Int64 $A.decimal(3) $A.required;
  defect @4 :Text $A.id;                   # why, from the defect catalogue
  reason @5 :Text;
}

# ---------------------------------------------------------------- quality and process

# inspection.record -> inspection.recorded: of a lot, or of a work order's step.
struct InspectionRecord {
  lot @0 :Text $A.id;
  wo @1 :Text $A.id;
  step @2 :Text $A.id;
  characteristic @3 :Text $A.required $A.id;
  value @4 :Float64 $A.required;
  min @5 :Float64 $A.required;
  max @6 :Float64 $A.required;
  unit @7 :Text;
}

struct InspectionRecorded {
  lot @0 :Text;
  wo @1 :Text;
  step @2 :Text;
  characteristic @3 :Text;
  value @4 :Float64;
  min @5 :Float64;
  max @6 :Float64;
  unit @7 :Text;
  passed @8 :Bool;
}

# reading.record -> reading.recorded (stream of the equipment).
struct ReadingRecord {
  equipment @0 :Text $A.required $A.id;
  param @1 :Text $A.required $A.id;
  value @2 :Float64;
  unit @3 :Text;
  at @4 :Int64 $A.timestamp;               # when the device took it; default: recordedAt
}

struct ReadingRecorded {
  equipment @0 :Text;
  param @1 :Text;
  value @2 :Float64;
  unit @3 :Text;
  at @4 :Int64 $A.timestamp;
  wo @5 :Text;                             # the order running on the equipment, if any
  step @6 :Text;
  hasLimits @7 :Bool;                      # the running step has limits for this param
  min @8 :Float64;
  max @9 :Float64;
  inLimits @10 :Bool;
  outOfCalibration @11 :Bool;              # the equipment's calibration had lapsed when it was taken
}

# ---------------------------------------------------------------- exceptions

enum ExceptionCategory {
  equipment @0; process @1; material @2; personnel @3; environment @4; quality @5;
  security @6;                             # sign-in failures, lockouts
}
enum Severity { low @0; medium @1; high @2; critical @3; }

# exception.raise -> exception.raised.
struct ExceptionRaise {
  exception @0 :Text $A.required $A.id;
  category @1 :ExceptionCategory;
  severity @2 :Severity;
  description @3 :Text $A.required;
  wo @4 :Text $A.id;
  lot @5 :Text $A.id;
  equipment @6 :Text $A.id;
  deadline @7 :Int64 $A.timestamp;         # escalated when still open after this
}

struct ExceptionRaised {
  exception @0 :Text;
  category @1 :ExceptionCategory;
  severity @2 :Severity;
  description @3 :Text;
  wo @4 :Text;
  lots @5 :List(Text);
  equipment @6 :Text;
  deadline @7 :Int64 $A.timestamp;
  automatic @8 :Bool;                      # raised by custody's own rules, right after the
                                           # record that broke them (same command)
}

# exception.assign -> exception.assigned.
struct ExceptionAssign {
  exception @0 :Text $A.required $A.id;
  assignee @1 :Text $A.required $A.id;
}

# exception.acknowledge -> exception.acknowledged; exception.close -> exception.closed.
struct ExceptionRef {
  exception @0 :Text $A.required $A.id;
}

# exception.resolve -> exception.resolved.
struct ExceptionResolve {
  exception @0 :Text $A.required $A.id;
  rootCause @1 :Text $A.required;
  action @2 :Text $A.required;
}

# exception.escalate -> exception.escalated (custody issues it when a deadline passes; a
# supervisor may too).
struct ExceptionEscalate {
  exception @0 :Text $A.required $A.id;
  reason @1 :Text;
}

# exception.comment -> exception.commented: a remark in the exception's history (what was
# found, who was called) while it is still being worked; not once it is closed.
struct ExceptionComment {
  exception @0 :Text $A.required $A.id;
  text @1 :Text $A.required;
}

# ---------------------------------------------------------------- deviations and CAPA

# How much a deviation may touch product quality (EU GMP chapter 1.4(xiv), 21 CFR 211.192).
enum DeviationClass { minor @0; major @1; critical @2; }

# deviation.open -> deviation.opened (stream "deviation:<id>"): a quality exception escalated
# to a deviation, to be investigated. custody draws the affected lots from the genealogy: the
# exception's lots and every lot made from them, as the log stands. Each is named in the
# recorded event, cannot be released while the deviation is open (open_deviation), and is put
# on hold when it was released and is still in stock.
struct DeviationOpen {
  deviation @0 :Text $A.required $A.id;
  exception @1 :Text $A.required $A.id;    # a quality exception, not closed, not escalated to
                                           # another deviation
  classification @2 :DeviationClass $A.required;
  description @3 :Text $A.required;        # what happened, against which instruction
}

struct DeviationOpened {
  deviation @0 :Text;
  exception @1 :Text;
  classification @2 :DeviationClass;
  description @3 :Text;
  wo @4 :Text;                             # the exception's order
  lots @5 :List(Text);                     # affected lots, from the genealogy
}

# deviation.assess -> deviation.assessed: the investigation's impact assessment and root
# cause. `cleared` names affected lots the assessment finds unaffected: they may be released
# again. May be repeated while the deviation is open; the latest text stands.
struct DeviationAssess {
  deviation @0 :Text $A.required $A.id;
  impact @1 :Text $A.required;             # on product quality, other batches, the file
  rootCause @2 :Text $A.required;
  cleared @3 :List(Text);                  # lots of the deviation, each once
}

# deviation.approve -> deviation.approved: QA approves the investigation and closes the
# deviation; a person other than the last one who assessed it. A major or critical deviation
# needs at least one CAPA action first. Its lots may then be released (or rejected).
struct DeviationApprove {
  deviation @0 :Text $A.required $A.id;
  conclusion @1 :Text $A.required;         # the disposition of the lots, what was decided
}

enum CapaKind { corrective @0; preventive @1; }

# capa.open -> capa.opened (stream "capa:<id>"): a corrective or preventive action of a
# deviation, with the person who owns it and when it is due.
struct CapaOpen {
  capa @0 :Text $A.required $A.id;
  deviation @1 :Text $A.required $A.id;
  kind @2 :CapaKind $A.required;
  action @3 :Text $A.required;             # what is to be done
  owner @4 :Text $A.required;              # the person who does it: their actor, "user:ada"
  due @5 :Int64 $A.required $A.timestamp;  # after the event time
}

# capa.complete -> capa.completed: the owner records the action done.
struct CapaComplete {
  capa @0 :Text $A.required $A.id;
  note @1 :Text $A.required;               # what was done, the evidence
}

# capa.check -> capa.checked: the effectiveness check, by someone other than the owner. An
# effective action closes the CAPA; one that was not reopens it, due again at `due`.
struct CapaCheck {
  capa @0 :Text $A.required $A.id;
  effective @1 :Bool $A.required;
  note @2 :Text $A.required;               # how effectiveness was judged
  due @3 :Int64 $A.timestamp;              # required when not effective
}

# ---------------------------------------------------------------- piecework pay

# How a piece rate treats the scrap an operator reports: not paid, paid like good units, or
# deducted at the same rate.
enum ScrapPay { unpaid @0; paid @1; deducted @2; }

# piece_rate.define -> piece_rate.defined (stream "piece_rate:<material>"): what an operator
# earns for each good unit of a material made at a routing step, from an instant on. A later
# rate for the same step takes over from its own instant; an earlier one stays on the record.
struct PieceRateDefine {
  material @0 :Text $A.required $A.id;
  step @1 :Text $A.required $A.id;         # a step of one of the material's routings
  effective @2 :Int64 $A.timestamp $A.required;
  rate @3 :Int64 $A.decimal(4) $A.required; # per unit of the material
  currency @4 :Text $A.required;           # ISO 4217, the same for every rate: "EUR"
  scrap @5 :ScrapPay;
}

# ---------------------------------------------------------------- corrections

# record.correct -> record.corrected (stream of the corrected record). `data` is the
# corrected payload, in the JSON shape of the corrected record's type.
struct RecordCorrect {
  seq @0 :UInt64 $A.required;
  reason @1 :Text $A.required;
  data @2 :Text $A.required $A.json;
}

struct RecordCorrected {
  seq @0 :UInt64;                          # the record corrected (never a correction)
  reason @1 :Text;
  type @2 :Text;                           # its type
  payload @3 :Data;                        # the corrected payload, canonical, of that type
  changed @4 :List(Text);                  # the fields that differ from what was in force
}

# record.redact -> record.redacted (stream of the redacted record). Personal data entered
# into a record's free text (a name, a phone number in a note) is erased: the named text
# fields are blanked in what stays in force, and the record's payload bytes are removed from
# the log. The payload digest stays, so the hash chain and every proof still verify.
struct RecordRedact {
  seq @0 :UInt64 $A.required;
  reason @1 :Text $A.required;
  fields @2 :List(Text) $A.required;     # free-text fields of the record's type to blank
}

struct RecordRedacted {
  seq @0 :UInt64;                          # the record whose payload bytes were removed
  reason @1 :Text;
  type @2 :Text;                           # its type
  fields @3 :List(Text);                   # the fields blanked
  remainder @4 :Data;                      # its payload with those fields blanked, canonical
}

# record.entered_late (written by custody after the records of a late entry, in the stream of
# the first, as part of the same command): an entry whose occurredAt lies further behind
# custody's clock than lateEntrySeconds, or before the last record of its stream, and the
# reason its sender gave (the command's lateReason). Views flag the records it covers.
struct RecordEnteredLate {
  reason @0 :Text;
  records @1 :UInt32;                      # how many records before it, of its command, are late
  occurredAt @2 :Int64 $A.timestamp;       # the command's occurredAt
  streamLastAt @3 :Int64 $A.timestamp;     # the event time of the stream's last record before; 0: none
  byAge @4 :Bool;                          # further behind the clock than lateEntrySeconds
  byOrder @5 :Bool;                        # before the stream's last record
  lateBySeconds @6 :Int64;                 # how far behind custody's clock it was entered
}

# ---------------------------------------------------------------- access

# access.deny -> access.denied (stream "access:<principal>"): custody's own record of a call
# it refused for want of a permission. Only custody writes it (actor "system").
struct AccessDeny {
  principal @0 :Text $A.required $A.id;    # who tried: "plugin:scheduler"
  capability @1 :Text $A.required;         # what was missing: "submit:lot"
  action @2 :Text $A.required;             # what was tried: "submit lot.ship"
  from @3 :Text;                           # where the call came from: "127.0.0.1:53122"
  repeats @4 :UInt32;                      # the same denial, not recorded, since the last record
}

# ---------------------------------------------------------------- identity

# Who may do what: one role per duty (docs/security.md has the table of what each may do).
enum Role {
  operator @0; supervisor @1; qa @2; planner @3; maintenance @4; auditor @5; admin @6;
  integration @7;
}

# user.add -> user.added (stream "user:<user>"): a person who can sign in. Their password is
# set apart (user.set_password); its hash never enters the log.
struct UserAdd {
  user @0 :Text $A.required $A.id;         # the sign-in id: "alice"
  name @1 :Text $A.required;               # printed name, shown with every signature
  roles @2 :List(Role) $A.required;
}

# user.set_roles -> user.roles_set: the roles now in force, replacing the previous ones.
struct UserSetRoles {
  user @0 :Text $A.required $A.id;
  roles @1 :List(Role) $A.required;
}

# user.disable -> user.disabled, user.enable -> user.enabled: a disabled person cannot sign in
# and their tokens and sessions stop working; the records they made stay theirs.
struct UserRef {
  user @0 :Text $A.required $A.id;
  reason @1 :Text;
}

# user.set_password -> user.password_set: that the password changed, and by whom. The hash is
# kept beside the ledger (DIR/credentials, mode 0600), outside the hash chain.
struct UserSetPassword {
  user @0 :Text $A.required $A.id;
}

# user.lock -> user.locked (+ an automatic security exception.raised): custody's own record that
# an account was locked after repeated failed sign-ins. Only custody writes it.
struct UserLock {
  user @0 :Text $A.required $A.id;
  until @1 :Int64 $A.timestamp;            # sign-in refused until then, unless unlocked
  failures @2 :UInt32;                     # failed sign-ins that led to it
  from @3 :Text;                           # the address of the last one
}

# token.create -> token.created (stream "token:<token>"): an API token for a machine (ERP,
# scanner gateway, PLC bridge), acting as "token:<token>" with one role, and optionally only
# the listed command types. The secret is shown once; only its hash is kept, outside the log.
struct TokenCreate {
  token @0 :Text $A.required $A.id;
  role @1 :Role;
  commandTypes @2 :List(Text);             # empty: whatever the role may submit
  description @3 :Text;
}

# token.revoke -> token.revoked.
struct TokenRevoke {
  token @0 :Text $A.required $A.id;
  reason @1 :Text;
}

# ---------------------------------------------------------------- electronic signatures

# What a signature means (21 CFR 11.50(a)(3)): it is printed with the signer's name and time
# wherever the signed record is shown.
enum SignatureMeaning { performed @0; verified @1; reviewed @2; approved @3; released @4; }

# signature.set_policy -> signature.policy_set (stream "signature-policy:<commandType>"):
# whether a command type needs an electronic signature, and with which meanings. A type
# without a policy record needs none; `custody serve` records the defaults on a ledger that
# has none (lot.release, lot.reject, wo.close, record.correct, and exception.close of a
# critical exception).
struct SignaturePolicySet {
  commandType @0 :Text $A.required $A.id;  # "lot.release"
  required @1 :Bool;                       # false: a signature is allowed, not needed
  meanings @2 :List(SignatureMeaning);     # the meanings a signature of it may have
  criticalOnly @3 :Bool;                   # exception.close only: when the exception is critical
  reason @4 :Text;
}

# signature.signed (written with the command it signs, after its records, in the stream of
# the first; or by signature.sign, naming earlier records in `signs`): the signature's
# manifestation and what binds it to the signed records. `hash` is SHA-256 over
# "custody.esig.v1", signer, name, meaning, signedAt and, for each of the `records` records
# before it (all of the same command): its commandId, type, stream and payload digest; or,
# for each record in `signs`, its seq and leaf hash (docs/commands.md gives the exact bytes).
# Moving it under other records, or changing them, breaks it; `custody verify` checks every
# one.
struct SignatureSigned {
  signer @0 :Text;                         # "alice": the user who confirmed with a password
  name @1 :Text;                           # their printed name at the time
  meaning @2 :SignatureMeaning;
  signedAt @3 :Int64 $A.timestamp;         # server time
  records @4 :UInt32;                      # how many records before it it signs
  hash @5 :Data;
  signs @6 :List(UInt64);                  # signature.sign: the earlier records it signs
}

# signature.sign -> signature.signed (in the stream of the first record named): a person's
# signature of records already in the log (a batch record reviewed, a deviation approved),
# given like any signature through the server's challenge and confirmation. Its hash covers
# each named record's seq and leaf hash, so it signs exactly those bytes.
struct SignatureSign {
  records @0 :List(UInt64) $A.required;    # seqs, each once
}

# ---------------------------------------------------------------- retention

# From when a record's retention period runs: its own event time (occurredAt, else
# recordedAt), or that of the last record of its stream (a work order's batch record is kept for a period after the order
# was last touched, not after each of its steps).
enum RetentionBasis { recorded @0; streamEnd @1; }

# retention.set_policy -> retention.policy_set (stream retention-policy:<recordType>): how long
# records of one type are kept. custody reports what is past it (custody retention --report);
# it never deletes anything by itself.
struct RetentionPolicySet {
  recordType @0 :Text $A.required $A.id;   # an event type: "reading.recorded"
  keepDays @1 :UInt32 $A.required;         # at least 1
  basis @2 :RetentionBasis;
  reason @3 :Text $A.required;             # the rule it follows ("21 CFR 211.180: 1 y past expiry")
}

# ---------------------------------------------------------------- configuration

# config.record -> config.recorded (stream config:ledger): written by custody itself, never by
# a client, when a writer opens a ledger whose config.json is not the one last recorded (an
# operator's hand edit, `custody plugins add`). What the settings are, so that a change of a
# plugin's grants or of the site is on the record; a plugin's own settings only as a digest,
# since they may hold credentials.
struct ConfigRecord {
  sha256 @0 :Text $A.required;            # hex SHA-256 of config.json as read ("" bytes: absent)
  previous @1 :Text;                      # the one recorded before ("": none)
  settings @2 :List(Text);                # "checkpointIntervalMs=1000", "site.name=...", ...
  plugins @3 :List(Text);                 # "<id> grants=read,submit:wo sha256=<lib> config=<digest>"
}

# ---------------------------------------------------------------- partners' EPCIS events

# epcis.capture -> epcis.captured (stream "epcis:<eventId>"): one event of a supplier's or
# customer's GS1 EPCIS 2.0 document, kept as evidence of what happened outside the plant. The
# rule validates the event, works out its Event Hash ID and the identifiers it names, and
# refuses an event already stored (already_exists): a re-sent document adds nothing. The one
# exception is the partner's retraction: the same event again with an errorDeclaration, which
# is recorded once, in the event's stream, after it.
struct EpcisCapture {
  event @0 :Text $A.required $A.json;     # the event, an element of the document's eventList
  context @1 :Text $A.json;               # the document's "@context" (the event's prefixes)
  source @2 :Text $A.required;            # where it came from: a file name, a capture job
  partner @3 :Text $A.id;                 # the party (party.define) that sent it, when known
}

struct EpcisCaptured {
  eventId @0 :Text;                       # the event's eventID, else its Event Hash ID
  hashId @1 :Text;                        # its GS1 Event Hash ID (CBV 2.0)
  eventType @2 :Text;                     # ObjectEvent, TransformationEvent, ...
  eventTime @3 :Int64 $A.timestamp;
  bizStep @4 :Text;                       # as written in the event
  partner @5 :Text;
  source @6 :Text;
  event @7 :Text $A.json;                 # as received
  context @8 :Text $A.json;
  inputs @9 :List(Text);                  # identifiers it consumed or packed (canonical form)
  outputs @10 :List(Text);                # identifiers it made or packed into
  objects @11 :List(Text);                # identifiers it was about otherwise
  errorDeclared @12 :Bool;                # the event carries an errorDeclaration: the
                                          # partner says it was wrong
  declarationReason @13 :Text;            # its reason, when given
  declarationTime @14 :Int64 $A.timestamp;
}

# ---------------------------------------------------------------- expected receipts

# receipt.expect -> receipt.expected (stream "receipt:<receipt>"): the ERP announces goods on
# their way, a purchase order line or an advance shipping notice (ASN). A lot.receive that
# names it is checked against it: the material, the supplier, the supplier's lot when the ASN
# gives one, and the quantity received so far against the expected one and its tolerance.
# Not received in full by `expected`, it raises one exception (receipt.late, written by
# custody itself).
enum ReceiptKind { po @0; asn @1; }

struct ReceiptExpect {
  receipt @0 :Text $A.required $A.id;     # the ERP's document id: "4500012345/10", an ASN number
  kind @1 :ReceiptKind;                   # po (default) or asn
  supplier @2 :Text $A.required $A.id;
  material @3 :Text $A.required $A.id;
  qty @4 :Int64 $A.decimal(3) $A.required;
  uom @5 :Text $A.required $A.id;
  expected @6 :Int64 $A.timestamp $A.required;  # by when it should be here
  tolerance @7 :Int64 $A.decimal(3);      # percent over qty still accepted (0 to 100; default 0)
  supplierLot @8 :Text $A.id;             # when the ASN names the supplier's lot
  document @9 :Text;                      # the purchase order or ASN document, for people
}

# receipt.cancel -> receipt.cancelled: the ERP closes a line that will not come (or not in
# full); nothing more may be received against it and it raises no late exception.
struct ReceiptCancel {
  receipt @0 :Text $A.required $A.id;
  reason @1 :Text $A.required;
}

# receipt.late -> receipt.late and exception.raised: written by custody itself (the system
# actor) when an expected receipt's date passes before it is received in full.
struct ReceiptLate {
  receipt @0 :Text $A.required $A.id;
}

# ---------------------------------------------------------------- training

# qualification.grant -> qualification.granted (stream "qualification:<user>"). A person is
# qualified, until a date, for one step of a routing (routing and step) or for every step run
# in a work center (workCenter): a critical step is started, reported and verified only by
# someone qualified for it on the day. A new grant for the same scope replaces the old one
# (a requalification). `user` is the person as records name them (their actor id).
struct QualificationGrant {
  user @0 :Text $A.required $A.id;
  routing @1 :Text $A.id;
  step @2 :Text $A.id;
  workCenter @3 :Text $A.id;
  until @4 :Int64 $A.timestamp $A.required;
  trainer @5 :Text $A.required $A.id;      # who trained them (not themselves)
  procedure @6 :Text;                      # what they were trained on: "SOP-112 rev 4"
}

# qualification.revoke -> qualification.revoked: withdrawn before its date (a failed
# assessment, a changed procedure).
struct QualificationRevoke {
  user @0 :Text $A.required $A.id;
  routing @1 :Text $A.id;
  step @2 :Text $A.id;
  workCenter @3 :Text $A.id;
  reason @4 :Text $A.required;
}

# ---------------------------------------------------------------- equipment status

# equipment.clean -> equipment.cleaned (stream "equipment:<equipment>"): the equipment was
# cleaned, by the actor, to a procedure. A step may start on it again after a change of
# product, and its cleaning interval starts again.
struct EquipmentClean {
  equipment @0 :Text $A.required $A.id;
  procedure @1 :Text $A.required;          # "SSOP-4 wet clean rev 2"
}

# equipment.calibrate -> equipment.calibrated: the instrument was calibrated and is good
# until a date; readings from it after that date are flagged.
struct EquipmentCalibrate {
  equipment @0 :Text $A.required $A.id;
  until @1 :Int64 $A.timestamp $A.required;
  certificate @2 :Text;                    # the calibration certificate's number
}

# plannedStop: no production is planned (a break, planned maintenance, no orders); the time
# is outside OEE's planned production time.
enum EquipmentService { inService @0; maintenance @1; outOfService @2; plannedStop @3; }

# equipment.set_status -> equipment.status_set: taken out for maintenance, out of service, or
# back in service. No step starts on equipment under maintenance or out of service.
struct EquipmentSetStatus {
  equipment @0 :Text $A.required $A.id;
  status @1 :EquipmentService;
  reason @2 :Text $A.required;             # why: "replace the spray bar", "motor burnt out"
}
