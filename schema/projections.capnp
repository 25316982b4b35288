# Projection state: what `custody show`, the boards and the KPIs read. Every value here is
# derived from the log by the domain's apply functions (core/domain) and can be rebuilt.
@0xee1ac69759bace26;

$import "/capnp/c++.capnp".namespace("custody::schema");
using A = import "annotations.capnp";
using C = import "commands.capnp";

struct Material {
  material @0 :Text;
  name @1 :Text;
  uom @2 :Text;
  kind @3 :C.MaterialKind;
  requiresRelease @4 :Bool;
  gtin @5 :Text;
  shelfLifeDays @6 :UInt32;
  bestBeforeDays @7 :UInt32;
  fefo @8 :C.FefoRule;
  allergenClass @9 :Text;
  yieldMin @10 :Float64;
  yieldMax @11 :Float64;
}

struct Party {
  party @0 :Text;
  name @1 :Text;
  role @2 :C.PartyRole;
  address @3 :Text;
  gln @4 :Text;
}

enum EquipmentState { idle @0; running @1; down @2; }

# What an equipment's time counts as for OEE: running a step, idle (in service, nothing
# running), down (an open equipment exception, maintenance or out of service) or a planned
# stop (equipment.set_status plannedStop).
enum OeeState { idle @0; running @1; down @2; planned @3; }

struct Reading {
  param @0 :Text;
  value @1 :Float64;
  unit @2 :Text;
  at @3 :Int64 $A.timestamp;
  inLimits @4 :Bool;
  seq @5 :UInt64;
  outOfCalibration @6 :Bool;       # taken while the instrument's calibration had lapsed
}

struct Equipment {
  equipment @0 :Text;
  name @1 :Text;
  workCenter @2 :Text;
  state @3 :EquipmentState;
  wo @4 :Text;                     # running order and step
  step @5 :Text;
  openExceptions @6 :UInt32;       # open equipment exceptions: while > 0 the state is down
  params @7 :List(C.ProcessParam); # limits of its own
  cleanOnChange @8 :C.Changeover;
  cleanEveryHours @9 :UInt32;
  requiresCalibration @10 :Bool;
  cleanedAt @11 :Int64 $A.timestamp;   # the last cleaning (0: never)
  cleanedBy @12 :Text;
  cleanProcedure @13 :Text;
  lastMaterial @14 :Text;              # the product of the last step started since that cleaning
  lastAllergenClass @15 :Text;
  calibratedUntil @16 :Int64 $A.timestamp;  # 0: never calibrated
  certificate @17 :Text;
  service @18 :C.EquipmentService;
  serviceReason @19 :Text;
  serviceSince @20 :Int64 $A.timestamp;
  lastStartedAt @21 :Int64 $A.timestamp;
  clearedFor @22 :Text;                    # "wo/step" of the line clearance it carries; any
                                           # start on it voids that
  idealRate @23 :Int64 $A.decimal(3);      # units an hour (equipment.define)
  oeeState @24 :OeeState;                  # what its time counts as since oeeSince
  oeeReason @25 :Text;                     # why it is down or stopped
  oeeSince @26 :Int64 $A.timestamp;
  downCause @27 :Text;                     # the exception that took it down (OEE's down reason)
  # The latest reading of each parameter is kept under its own key (projections.h), so a
  # reading rewrites a few bytes rather than the whole equipment.
}

enum LotOrigin { received @0; produced @1; split @2; merged @3; transformed @4; }

struct Lot {
  lot @0 :Text;
  material @1 :Text;
  uom @2 :Text;
  status @3 :C.LotStatus;
  location @4 :Text;
  origin @5 :LotOrigin;
  onHand @6 :Int64 $A.decimal(3);
  created @7 :Int64 $A.decimal(3);     # received, produced, split off or merged in
  consumed @8 :Int64 $A.decimal(3);
  shipped @9 :Int64 $A.decimal(3);
  splitOff @10 :Int64 $A.decimal(3);
  mergedOut @11 :Int64 $A.decimal(3);
  supplier @12 :Text;
  supplierLot @13 :Text;
  wo @14 :Text;                        # the order that produced it
  holdReason @15 :Text;
  createdAt @16 :Int64 $A.timestamp;
  createdSeq @17 :UInt64;
  produced @18 :Int64 $A.timestamp;    # the supplier's, or a merge's oldest; 0: not known
                                       # (a lot custody made was made at createdAt)
  expires @19 :Int64 $A.timestamp;     # 0: no expiry
  bestBefore @20 :Int64 $A.timestamp;
  expired @21 :Bool;                   # custody recorded lot.expired
  deviations @22 :UInt32;              # open deviations naming it (not cleared): no release
  deviationSeq @23 :UInt64;            # the newest deviation.opened naming it
}

enum StepStatus { pending @0; running @1; completed @2; }

struct WoStep {
  step @0 :Text;
  workCenter @1 :Text;
  status @2 :StepStatus;
  equipment @3 :Text;
  good @4 :Int64 $A.decimal(3);
  scrap @5 :Int64 $A.decimal(3);
  startedAt @6 :Int64 $A.timestamp;
  completedAt @7 :Int64 $A.timestamp;
  operators @8 :List(Text);
  scheduledStart @9 :Int64 $A.timestamp;   # the latest wo.schedule's plan; 0 unplanned
  scheduledEnd @10 :Int64 $A.timestamp;
  scheduledEquipment @11 :Text;
  verifiedBy @12 :Text;                    # the second person who verified it (op.verify)
  verifiedAt @13 :Int64 $A.timestamp;
  critical @14 :Bool;                      # the routing's: only qualified operators
  reworkIn @15 :Int64 $A.decimal(3);       # sent back to this step to be processed again
  reworkOut @16 :Int64 $A.decimal(3);      # sent back from this step to an earlier one
  lineClearance @17 :Bool;                 # the routing's: a verified line clearance first
  labelling @18 :Bool;                     # the routing's: labels reconciled before completing
  clearance @19 :LineClearance;            # the latest line.clear (and its line.verify)
  labels @20 :LabelCount;                  # label.reconcile
}

struct LineClearance {
  equipment @0 :Text;
  by @1 :Text;
  at @2 :Int64 $A.timestamp;
  verifiedBy @3 :Text;
  verifiedAt @4 :Int64 $A.timestamp;
  note @5 :Text;
}

struct LabelCount {
  issued @0 :Int64;
  used @1 :Int64;
  destroyed @2 :Int64;
  returned @3 :Int64;
  by @4 :Text;
  at @5 :Int64 $A.timestamp;
}

enum WoStatus { created @0; released @1; inProgress @2; completed @3; closed @4; }

struct WorkOrder {
  wo @0 :Text;
  material @1 :Text;
  qty @2 :Int64 $A.decimal(3);
  routing @3 :Text;
  due @4 :Int64 $A.timestamp;
  status @5 :WoStatus;
  createdAt @6 :Int64 $A.timestamp;
  releasedAt @7 :Int64 $A.timestamp;
  startedAt @8 :Int64 $A.timestamp;
  completedAt @9 :Int64 $A.timestamp;
  closedAt @10 :Int64 $A.timestamp;
  steps @11 :List(WoStep);
  consumed @12 :List(C.LotQty);
  produced @13 :List(C.LotQty);
  scheduledStart @14 :Int64 $A.timestamp;
  scheduledEnd @15 :Int64 $A.timestamp;
  plan @16 :Text;                          # revision of the latest schedule
}

enum ReceiptStatus { open @0; received @1; cancelled @2; }

# An expected receipt (receipt.expect) and what has been received against it.
struct Receipt {
  receipt @0 :Text;
  kind @1 :C.ReceiptKind;
  supplier @2 :Text;
  material @3 :Text;
  qty @4 :Int64 $A.decimal(3);
  uom @5 :Text;
  expected @6 :Int64 $A.timestamp;
  tolerance @7 :Int64 $A.decimal(3);
  supplierLot @8 :Text;
  document @9 :Text;
  status @10 :ReceiptStatus;        # received: at least qty has arrived
  received @11 :Int64 $A.decimal(3);
  lots @12 :List(Text);             # the lots received against it, in order
  late @13 :Bool;                   # its date passed before it was received in full
  cancelReason @14 :Text;
}

enum ExceptionStatus { open @0; assigned @1; acknowledged @2; resolved @3; closed @4; }

struct Exception {
  exception @0 :Text;
  category @1 :C.ExceptionCategory;
  severity @2 :C.Severity;
  description @3 :Text;
  status @4 :ExceptionStatus;
  wo @5 :Text;
  lots @6 :List(Text);
  equipment @7 :Text;
  deadline @8 :Int64 $A.timestamp;
  assignee @9 :Text;
  rootCause @10 :Text;
  action @11 :Text;
  raisedAt @12 :Int64 $A.timestamp;
  raisedBy @13 :Text;
  acknowledgedAt @14 :Int64 $A.timestamp;
  resolvedAt @15 :Int64 $A.timestamp;
  closedAt @16 :Int64 $A.timestamp;
  escalated @17 :Bool;
  escalatedAt @18 :Int64 $A.timestamp;
  automatic @19 :Bool;
  cause @20 :UInt64;               # automatic: seq of the record that broke a rule
  deviation @21 :Text;             # the deviation it was escalated to
}

enum DeviationStatus { open @0; assessed @1; approved @2; }

# A deviation ("deviation/<id>" in entities).
struct Deviation {
  deviation @0 :Text;
  exception @1 :Text;
  classification @2 :C.DeviationClass;
  description @3 :Text;
  status @4 :DeviationStatus;
  wo @5 :Text;
  lots @6 :List(Text);             # affected, from the genealogy when it opened
  cleared @7 :List(Text);          # of those, found unaffected by the assessment
  impact @8 :Text;
  rootCause @9 :Text;
  conclusion @10 :Text;
  openedAt @11 :Int64 $A.timestamp;
  openedBy @12 :Text;
  assessedAt @13 :Int64 $A.timestamp;
  assessedBy @14 :Text;
  approvedAt @15 :Int64 $A.timestamp;
  approvedBy @16 :Text;
  capas @17 :List(Text);           # its CAPA actions, in the order they were opened
}

enum CapaStatus { open @0; completed @1; effective @2; }

# A corrective or preventive action ("capa/<id>" in entities).
struct Capa {
  capa @0 :Text;
  deviation @1 :Text;
  kind @2 :C.CapaKind;
  action @3 :Text;
  owner @4 :Text;
  due @5 :Int64 $A.timestamp;
  status @6 :CapaStatus;
  openedAt @7 :Int64 $A.timestamp;
  openedBy @8 :Text;
  completedAt @9 :Int64 $A.timestamp;
  completion @10 :Text;            # the owner's note
  checkedAt @11 :Int64 $A.timestamp;
  checkedBy @12 :Text;
  checkNote @13 :Text;
  ineffective @14 :UInt32;         # effectiveness checks that found it not effective
}

# A genealogy edge, stored under both its ends.
enum EdgeKind { consumedInto @0; split @1; merge @2; }

struct Edge {
  kind @0 :EdgeKind;
  qty @1 :Int64 $A.decimal(3);
  wo @2 :Text;
  seq @3 :UInt64;                      # the record that created it
}

# One shipment line: a quantity of a lot to a customer.
struct ShipmentLine {
  shipment @0 :Text;
  lot @1 :Text;
  customer @2 :Text;
  qty @3 :Int64 $A.decimal(3);
  at @4 :Int64 $A.timestamp;
  seq @5 :UInt64;
  sscc @6 :Text;                           # the pallet it left on, when the shipment named one
}

# Facts the KPIs add up, by event time.
struct Fact {
  union {
    opReported @0 :OpReported;
    woCompleted @1 :WoCompleted;
    exceptionRaised @2 :ExceptionFact;
    exceptionClosed @3 :ExceptionClosed;
    equipmentTime @4 :EquipmentTime;
  }
  struct OpReported {
    wo @0 :Text;
    step @1 :Text;
    operator @2 :Text;
    good @3 :Int64 $A.decimal(3);
    scrap @4 :Int64 $A.decimal(3);
    defects @5 :List(C.DefectQty);         # the report's breakdown of scrap, when it gave one
  }
  struct WoCompleted {
    wo @0 :Text;
    due @1 :Int64 $A.timestamp;
    onTime @2 :Bool;
  }
  struct ExceptionFact {
    exception @0 :Text;
    severity @1 :C.Severity;
  }
  struct ExceptionClosed {
    exception @0 :Text;
    raisedAt @1 :Int64 $A.timestamp;
  }
  # A span of an equipment's time that ended at the fact's time (OEE availability).
  struct EquipmentTime {
    equipment @0 :Text;
    state @1 :OeeState;
    reason @2 :Text;
    since @3 :Int64 $A.timestamp;
  }
}

# The payload in force for a corrected record.
struct Correction {
  payload @0 :Data;
  corrections @1 :UInt32;
  lastSeq @2 :UInt64;
}

# A person who can sign in ("user/<id>" in entities).
struct User {
  user @0 :Text;
  name @1 :Text;
  roles @2 :List(C.Role);
  disabled @3 :Bool;
  passwordSetAt @4 :Int64 $A.timestamp;    # 0: never set
  createdAt @5 :Int64 $A.timestamp;
  lockedUntil @6 :Int64 $A.timestamp;      # 0: not locked
}

# An API token ("token/<id>" in entities).
struct ApiToken {
  token @0 :Text;
  role @1 :C.Role;
  commandTypes @2 :List(Text);
  description @3 :Text;
  revoked @4 :Bool;
  createdAt @5 :Int64 $A.timestamp;
  createdBy @6 :Text;
}

# Whether a command type needs an electronic signature ("sigpolicy/<type>" in entities).
struct SignaturePolicy {
  commandType @0 :Text;
  required @1 :Bool;
  meanings @2 :List(C.SignatureMeaning);
  criticalOnly @3 :Bool;
  setAt @4 :Int64 $A.timestamp;
  setBy @5 :Text;
}

# A person's qualification for a routing step or a work center
# ("qualification/<user>\0step\0<routing>\0<step>" or "qualification/<user>\0wc\0<center>").
struct Qualification {
  user @0 :Text;
  routing @1 :Text;
  step @2 :Text;
  workCenter @3 :Text;
  until @4 :Int64 $A.timestamp;
  trainer @5 :Text;
  procedure @6 :Text;
  grantedAt @7 :Int64 $A.timestamp;
  grantedBy @8 :Text;
  grantSeq @9 :UInt64;                     # the qualification.granted record in force
  revokedAt @10 :Int64 $A.timestamp;       # 0: not revoked
  revokedBy @11 :Text;
  reason @12 :Text;
}

# A material's piece rates ("piecerate/<material>" in entities), each step's in order of the
# instant it takes effect.
struct PieceRates {
  material @0 :Text;
  rates @1 :List(PieceRate);
  struct PieceRate {
    step @0 :Text;
    effective @1 :Int64 $A.timestamp;
    rate @2 :Int64 $A.decimal(4);
    currency @3 :Text;
    scrap @4 :C.ScrapPay;
    definedAt @5 :Int64 $A.timestamp;
    definedBy @6 :Text;
  }
}
