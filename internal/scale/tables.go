package scale

import "dibao/internal/fakedata"

// The tables of the demo county (internal/fakedata).
var (
	surnames      = fakedata.Surnames
	maleOld       = fakedata.MaleOld
	maleMid       = fakedata.MaleMid
	maleYoung     = fakedata.MaleYoung
	femaleOld     = fakedata.FemaleOld
	femaleMid     = fakedata.FemaleMid
	femaleYoung   = fakedata.FemaleYoung
	wageRural     = fakedata.WageRural
	wageUrban     = fakedata.WageUrban
	bizRural      = fakedata.BizRural
	bizUrban      = fakedata.BizUrban
	banks         = fakedata.Banks
	phonePrefixes = fakedata.PhonePrefixes
)
