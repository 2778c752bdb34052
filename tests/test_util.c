#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

START_TEST(numbers)
{
	float f;
	long l;
	ck_assert(parse_float(" -3.5 ", &f) && f == -3.5f);
	ck_assert(!parse_float("3.5dB", &f));
	ck_assert(!parse_float("", &f));
	ck_assert(!parse_float("nan", &f));
	ck_assert(!parse_float("inf", &f));
	ck_assert(parse_int("42", &l) && l == 42);
	ck_assert(!parse_int("4.2", &l));
	ck_assert(parse_int(" -7 ", &l) && l == -7);
	ck_assert(parse_int("+7", &l) && l == 7);
	ck_assert(!parse_int("0x10", &l));
	ck_assert(!parse_int("1e3", &l));
	ck_assert(!parse_int("99999999999999999999999", &l));
	ck_assert(!parse_int("+", &l));
	ck_assert(!parse_int("- 7", &l));
	bool b;
	ck_assert(parse_bool("yes", &b) && b);
	ck_assert(parse_bool("Off", &b) && !b);
	ck_assert(!parse_bool("maybe", &b));
}
END_TEST

/* Only plain decimal numbers, finite as a float: strtod() alone takes
 * hexadecimal (0x10 was +16 dB), inf, nan, and 1e39 (a float overflow:
 * an azimuth of NaN). */
START_TEST(decimal_only)
{
	static const struct {
		const char *text;
		float value;
	} good[] = {
		{ "0", 0.0f }, { "-3", -3.0f }, { "+2.5", 2.5f }, { "1.5", 1.5f }, { ".5", 0.5f },
		{ "-.25", -0.25f }, { "5.", 5.0f }, { "2e-1", 0.2f }, { "1E3", 1000.0f },
		{ "1e+2", 100.0f }, { "\t7 ", 7.0f }, { "3.4e38", 3.4e38f }, { "-3.4e38", -3.4e38f },
		{ "1e-50", 0.0f }, { "00012", 12.0f },
	};
	static const char *const bad[] = {
		"0x10", "0X1p4", "-0x1", "0x", "inf", "-inf", "+INF", "infinity", "nan", "NAN(123)",
		"1e39", "-1e39", "3.5e38", "1e400", "-1e400", "1e", "1e+", "e5", ".", "-", "+", "-.",
		"1.2.3", "1,5", "1 5", "--1", "+-1", "1e5.5", "1d", "\xd9\xa1", "\v",
	};
	float f;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		f = -99.0f;
		ck_assert_msg(parse_float(good[i].text, &f), "'%s' refused", good[i].text);
		ck_assert_msg(f == good[i].value, "'%s' read as %g", good[i].text, (double)f);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		f = -99.0f;
		ck_assert_msg(!parse_float(bad[i], &f), "'%s' taken as %g", bad[i], (double)f);
		ck_assert(f == -99.0f); /* untouched */
	}
	/* The words of azimuth and elevation, and their numbers, alike. */
	ck_assert(!parse_azimuth("0x10", &f));
	ck_assert(!parse_azimuth("1e39", &f));
	ck_assert(!parse_azimuth("nan", &f));
	ck_assert(!parse_elevation("0x10", &f));
	ck_assert(!parse_elevation("-nan", &f));
}
END_TEST

START_TEST(places)
{
	float a;
	ck_assert(parse_azimuth("left", &a) && a == 90.0f);
	ck_assert(parse_azimuth("right", &a) && a == -90.0f);
	ck_assert(parse_azimuth("behind", &a) && a == 180.0f);
	ck_assert(parse_azimuth("-45", &a) && a == -45.0f);
	ck_assert(parse_elevation("above", &a) && a == 90.0f);
	ck_assert(!parse_elevation("91", &a));
	ck_assert_float_eq(wrap_azimuth(270.0f), -90.0f);
	ck_assert_float_eq(wrap_azimuth(180.0f), -180.0f);
	ck_assert_float_eq(wrap_azimuth(-190.0f), 170.0f);
	ck_assert_float_eq_tol(db_to_gain(-6.0206f), 0.5f, 1e-4f);
	ck_assert_float_eq_tol(gain_to_db(0.5f), -6.0206f, 1e-3f);
}
END_TEST

START_TEST(strings)
{
	char buf[8];
	str_copy(buf, sizeof buf, "a long name");
	ck_assert_str_eq(buf, "a long ");
	char t[] = "  x y \t";
	ck_assert_str_eq(str_trim(t), "x y");
	char l[] = "one, two three";
	char *w[4];
	ck_assert_uint_eq(str_split(l, w, 4), 3);
	ck_assert_str_eq(w[2], "three");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("Parse");
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, decimal_only);
	tcase_add_test(tc, places);
	tcase_add_test(tc, strings);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
