// Package gate decides whether a proposed change to an AMI — a share, a
// snapshot permission, a copy, a KMS grant or key policy, from command-line
// flags or a Terraform plan (ParsePlan) — may be made, before it is made.
//
// The whole decision lives in Judge: it reads what the changes need through a
// Reader (collector.GateReader reads AWS; the gate itself makes no AWS
// call), or takes a snapshot document; evaluates the rules on the state
// before the change; overlays the change as AWS would carry it out (copies,
// their keys, the shares AWS refuses); evaluates the state after it; keeps
// the findings about what the change touches; attributes to the change the
// findings it causes; and fails closed, returning apart (Decision.Unseen)
// the SCAN-001 findings of what it could not see. The CLI (amiaudit gate)
// only builds the Request from flags and renders the Decision.
//
// The model of how AWS carries out a change, with the AWS documentation it
// follows, is described in docs/gate.md.
package gate
