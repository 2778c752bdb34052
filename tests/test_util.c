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
	bool b;
	ck_assert(parse_bool("yes", &b) && b);
	ck_assert(parse_bool("Off", &b) && !b);
	ck_assert(!parse_bool("maybe", &b));
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
	tcase_add_test(tc, places);
	tcase_add_test(tc, strings);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
