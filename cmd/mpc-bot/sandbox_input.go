package main

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mpc-bot/mpc-bot/bot/slacktest"
	"github.com/mpc-bot/mpc-bot/phlo/phlotest"
)

// slowPHLO is how long "phlo slow" holds every answer back: longer than
// the PHLO client waits, so mpc-bot gives up and cannot know the outcome.
const slowPHLO = time.Minute

// handle acts on one line the person typed and returns the envelope it
// sent to the bot, "" when it sent none.
func (s *sandbox) handle(line string) string {
	if s.confirming != nil {
		if env, ok := s.answerConfirmation(line); ok {
			return env
		}
	}
	if s.form != nil {
		return s.answerForm(line)
	}
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(word) {
	case "/mpc-add":
		env, _, _, err := s.fs.SendSlashCommand(slacktest.SlashCommand{
			Text: escapeMentions(rest), UserID: sandboxYou, ChannelID: sandboxChannel,
		})
		return s.sent(env, err)
	case "@mpc-bot":
		s.mentionSeq++
		ts := fmt.Sprintf("1764085000.%06d", s.mentionSeq)
		text := "<@" + slacktest.BotUserID + "> " + escapeMentions(rest)
		// The person's own message, which the bot's answers thread under.
		s.fs.AddMessage(sandboxChannel, ts, "")
		s.post(&shownMessage{channel: sandboxChannel, ts: ts, text: "<@" + sandboxYou + ">: " + text})
		env, err := s.fs.SendEvent(map[string]any{
			"type": "app_mention", "user": sandboxYou, "channel": sandboxChannel, "ts": ts, "event_ts": ts, "text": text,
		})
		return s.sent(env, err)
	case "press":
		return s.press(rest)
	case "phlo":
		s.setPHLO(rest)
		return ""
	case "help", "?":
		fmt.Fprint(s.out, sandboxIntro)
		return ""
	}
	s.say("sandbox", "Type /mpc-add …, @mpc-bot add …, press <n>, phlo <mode> or help.")
	return ""
}

// sent reports a failure to send an envelope.
func (s *sandbox) sent(env string, err error) string {
	if err != nil {
		s.say("sandbox", "could not send that to mpc-bot: "+err.Error())
		return ""
	}
	return env
}

// setPHLO switches how the fake PHLO answers from now on.
func (s *sandbox) setPHLO(mode string) {
	switch mode = strings.ToLower(mode); mode {
	case "ok":
		s.fp.SetFailure(phlotest.Failure{})
		s.say("sandbox", "PHLO answers normally again.")
		return
	case "slow":
		s.fp.SetFailure(phlotest.Failure{Delay: slowPHLO})
		s.say("sandbox", "PHLO now holds every answer back; mpc-bot gives up first and cannot know what happened (phlo ok undoes it).")
		return
	}
	status, err := strconv.Atoi(mode)
	if err != nil || status < 200 || status > 599 {
		s.say("sandbox", "Try phlo 500, phlo 401, phlo 429, phlo slow or phlo ok (any status from 200 to 599 works).")
		return
	}
	s.fp.SetFailure(phlotest.Failure{Status: status})
	s.say("sandbox", fmt.Sprintf("PHLO now answers every request %d %s (phlo ok undoes it).", status, http.StatusText(status)))
}
