// Package conference is mpc-bot's domain: who may pull whom onto which
// bridge, what happens when they do, and what the record says afterwards.
//
// It knows neither Slack nor SQL nor HTTP. A front end (package bot, for
// Slack) turns what people type into a Request and hands it to the
// Service; the Service applies the rules (allow-lists, destination rules,
// each person's dial limit, once-only keys), writes the audit trail before
// anything reaches Plivo, sends the PHLO requests through CallControl and
// tells the people concerned what happened through a Reporter. Adapters
// implement the ports this package declares: package store the Store,
// package phlo's Switchboard the CallControl, package bot the Reporter,
// Profiles and Groups.
//
// Every accepted request is recorded durably (Store.Accept) before the
// front end acknowledges it, and belongs to one running instance. When an
// instance dies, a live one takes over what it had accepted and tells each
// person what became of their request, so nothing accepted vanishes.
package conference
