package benefit

import (
	"strconv"
	"time"

	"dibao/internal/household"
	"dibao/internal/idcard"
	"dibao/internal/money"
)

// on is the decision date of every test: ages are counted on 1 July 2026.
var on = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

// yuan parses an amount for readability of the hand-worked cases.
func yuan(s string) money.Fen {
	f, err := money.ParseSigned(s)
	if err != nil {
		panic(err)
	}
	return f
}

func idMake(birth time.Time, seq int) idcard.ID { return idcard.Make("130199", birth, seq) }

func born(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// member is a healthy, co-resident adult (born 1980, 46 on the decision
// date) unless edited: no supplement applies to it under the defaults.
func member(id int64, rel household.Relation) household.Member {
	return household.Member{
		ID: id, Name: "李测" + strconv.Itoa(int(id)), Relation: rel, Labour: "full", Health: "healthy", CoResident: true,
		IDNumber: idMake(born(1980, 5, 10), int(id)),
	}
}

// adults builds a household of n healthy co-resident adults with IDs 1..n.
func adults(n int, urban bool) household.Household {
	h := household.Household{Urban: urban}
	rels := []household.Relation{"head", "spouse", "child", "child", "parent", "sibling"}
	for i := 0; i < n; i++ {
		h.Members = append(h.Members, member(int64(i+1), rels[i%len(rels)]))
	}
	return h
}

func withIncome(h household.Household, in ...household.Income) household.Household {
	h.Incomes = append(append([]household.Income(nil), h.Incomes...), in...)
	return h
}

func withProperty(h household.Household, pr ...household.Property) household.Household {
	h.Properties = append(append([]household.Property(nil), h.Properties...), pr...)
	return h
}

func wage(memberID int64, amount string, months int) household.Income {
	return household.Income{MemberID: memberID, Kind: "wage", Amount: yuan(amount), Months: months}
}

func prop(kind household.PropertyKind, value string, qty int, exempt bool) household.Property {
	return household.Property{Kind: kind, Value: yuan(value), Quantity: qty, Exempt: exempt}
}
