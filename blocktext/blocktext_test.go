package blocktext

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// roundTrip sends blocks through JSON, as they reach a reader.
func roundTrip(t *testing.T, blocks ...slack.Block) []slack.Block {
	t.Helper()
	data, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	var got slack.Blocks
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	return got.BlockSet
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func TestBlocksMessage(t *testing.T) {
	hangup := slack.NewButtonBlockElement("hangup", "v3", plain("Hang up"))
	hangup.Confirm = slack.NewConfirmationBlockObject(plain("Hang up?"), mrkdwn("This drops them."), plain("Hang up"), plain("Cancel"))
	link := slack.NewButtonBlockElement("", "", plain("Docs"))
	link.URL = "https://example.com"
	blocks := roundTrip(t,
		slack.NewHeaderBlock(plain("Roster")),
		slack.NewSectionBlock(mrkdwn(":white_check_mark: Plivo is dialling <@U0ALICE>.\nsecond line"), nil, nil),
		slack.NewSectionBlock(nil, []*slack.TextBlockObject{mrkdwn("*Role*"), mrkdwn("agent"), mrkdwn("*Bridge*")},
			slack.NewAccessory(slack.NewButtonBlockElement("roster", "v", plain("Roster")))),
		slack.NewActionBlock("party",
			slack.NewButtonBlockElement("hold", "v1", plain("Hold")),
			slack.NewButtonBlockElement("unhold", "v2", plain("Take off hold")),
			hangup, link),
		slack.NewContextBlock("", mrkdwn("request `abc`"), slack.NewImageBlockElement("https://x/i.png", "logo")),
		slack.NewDividerBlock(),
		slack.NewImageBlock("https://x/i.png", "a chart", "", nil),
	)
	n := 0
	var seen []string
	key := func(blockID string, b *slack.ButtonBlockElement) string {
		if b.ActionID == "" {
			return ""
		}
		n++
		seen = append(seen, blockID+"/"+b.ActionID)
		return fmt.Sprint(n)
	}
	got := strings.Join(testNames().Blocks(blocks, key), "\n")
	want := strings.Join([]string{
		"━━ Roster ━━",
		"✅ Plivo is dialling @alice.",
		"second line",
		"Role   │ agent",
		"Bridge",
		"[1] Roster",
		"[2] Hold   [3] Take off hold   [4] Hang up (asks first: Hang up?)   Docs → https://example.com",
		"· request `abc`  [logo]",
		"────────────────────────",
		"[image: a chart]",
	}, "\n")
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if strings.Join(seen, " ") != "/roster party/hold party/unhold party/hangup" {
		t.Errorf("keyed %v", seen)
	}
	if lines := testNames().Confirmation(hangup.Confirm); strings.Join(lines, "|") != "Hang up?|This drops them.|[Hang up]  [Cancel]" {
		t.Errorf("confirmation %q", lines)
	}
}

func TestMessageWithoutBlocksShowsText(t *testing.T) {
	got := testNames().Message("<@U0ALICE> said *hi*\nbye", nil, nil)
	if strings.Join(got, "|") != "@alice said hi|bye" {
		t.Errorf("got %q", got)
	}
}

func TestInputs(t *testing.T) {
	people := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeUser, plain("Choose people"), "people_select")
	peopleBlock := slack.NewInputBlock("people", plain("People"), plain("Who to dial."), people)
	peopleBlock.Optional = true
	number := slack.NewPlainTextInputBlockElement(plain("+14155550100"), "number_input")
	agent := slack.NewOptionBlockObject("agent", plain("Agent"), nil)
	customer := slack.NewOptionBlockObject("customer", plain("Customer"), nil)
	role := slack.NewRadioButtonsBlockElement("role", agent, customer)
	role.InitialOption = agent
	def := slack.NewOptionBlockObject("default", plain("default"), nil)
	dbs := slack.NewOptionBlockObject("dbs", plain("dbs"), nil)
	bridge := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Choose"), "bridge", def, dbs)
	bridge.InitialOption = def
	blocks := roundTrip(t,
		peopleBlock,
		slack.NewInputBlock("number", plain("Number"), nil, number),
		slack.NewInputBlock("role", plain("Role"), nil, role),
		slack.NewInputBlock("bridge", plain("Bridge"), nil, bridge),
	)
	n := testNames()
	for _, tt := range []struct {
		block int
		value string
		want  string
	}{
		{0, "", "People (optional): [ Choose people ▾ ]|· Who to dial."},
		{0, "@alice", "People (optional): [ @alice ▾ ]|· Who to dial."},
		{1, "", "Number: [ +14155550100 ]"},
		{1, "+44 20", "Number: [ +44 20 ]"},
		{2, "", "Role: (•) Agent  ( ) Customer"},
		{2, "customer", "Role: ( ) Agent  (•) Customer"},
		{3, "", "Bridge: [ default ▾ ]  of default, dbs"},
		{3, "dbs", "Bridge: [ dbs ▾ ]  of default, dbs"},
	} {
		got := strings.Join(n.Input(blocks[tt.block].(*slack.InputBlock), tt.value), "|")
		if got != tt.want {
			t.Errorf("block %d with %q: got %q, want %q", tt.block, tt.value, got, tt.want)
		}
	}
}
