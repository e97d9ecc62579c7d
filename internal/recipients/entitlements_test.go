package recipients_test

import (
	"testing"

	"dibao/internal/money"
	"dibao/internal/recipients"
	"dibao/internal/roster"
	"dibao/internal/store"
	"dibao/internal/testenv"
)

// pays builds the roster of month from one recipient and returns its amount.
func pays(t *testing.T, e store.RegisterEntry, h []store.HistoryEntry, month string) money.Fen {
	t.Helper()
	rows, err := roster.Build(recipients.Entitlements(e, h), month, money.FenExact)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return 0
	}
	return rows[0].Amount
}

func TestEntitlements(t *testing.T) {
	base := store.RegisterEntry{Recipient: store.Recipient{HouseholdID: 7, Region: testenv.VillageA, Amount: money.FromYuan(600),
		StartMonth: "2026-03", Status: "active"}}
	hist := []store.HistoryEntry{
		{Kind: recipients.KindIncrease, OldAmount: money.FromYuan(500), NewAmount: money.FromYuan(600), EffectiveMonth: "2026-06"},
	}
	for month, want := range map[string]money.Fen{"2026-02": 0, "2026-03": money.FromYuan(500), "2026-05": money.FromYuan(500),
		"2026-06": money.FromYuan(600), "2030-01": money.FromYuan(600)} {
		if got := pays(t, base, hist, month); got != want {
			t.Errorf("%s: %s, want %s", month, got.Yuan(), want.Yuan())
		}
	}
	// Phase-out from 2026-09 for 2 months, tapered: 2/2 then 1/2, then nothing.
	po := base
	po.PhaseOutFrom, po.PhaseOutMonths, po.PhaseOutTaper = "2026-09", 2, true
	po2 := append(hist, store.HistoryEntry{Kind: recipients.KindPhaseOut, OldAmount: money.FromYuan(600),
		NewAmount: money.FromYuan(600), EffectiveMonth: "2026-09"})
	for month, want := range map[string]money.Fen{"2026-08": money.FromYuan(600), "2026-09": money.FromYuan(600),
		"2026-10": money.FromYuan(300), "2026-11": 0} {
		if got := pays(t, po, po2, month); got != want {
			t.Errorf("phase-out %s: %s, want %s", month, got.Yuan(), want.Yuan())
		}
	}
	// Stopped from 2026-08: July is the last month paid.
	st := base
	st.Status, st.EndMonth = "stopped", "2026-07"
	st2 := append(hist, store.HistoryEntry{Kind: recipients.KindStop, OldAmount: money.FromYuan(600), EffectiveMonth: "2026-08"})
	if pays(t, st, st2, "2026-07") != money.FromYuan(600) || pays(t, st, st2, "2026-08") != 0 {
		t.Error("stop must pay through July and nothing from August")
	}
}
