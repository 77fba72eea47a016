# R's lm + sandwich on the data sets of tests/models/test_analysis.py (written there as CSV by
# make_reference.py). Prints one line per coefficient and covariance kind:
#   case,cov,name,coef,std_err      (17 significant digits)
# Run: Rscript lm_sandwich.R DIR > r_lm_sandwich.csv
suppressMessages(library(sandwich))
invisible(Sys.setlocale("LC_COLLATE", "C"))  # factor levels sorted as Python sorts them
dir <- commandArgs(trailingOnly = TRUE)[1]
read <- function(name) read.csv(file.path(dir, paste0(name, ".csv")), stringsAsFactors = FALSE,
                                na.strings = c("", "NA"))
cases <- list(
  list("grunfeld", invest ~ value + capital + firm, "firm", NULL),
  list("fair", affairs ~ rate_marriage + age + yrs_married + educ + job, "occupation_husb",
       c("job", "teacher")),
  list("star98", NABOVE ~ LOWINC + PERASIAN + PERBLACK + PTRATIO + district, "district", NULL),
  list("macrodata", realinv ~ realgdp + log(realcons) + tbilrate + season, "year", NULL),
  list("longley", TOTEMP ~ GNPDEFL + GNP + UNEMP + ARMED + POP + YEAR, NA, NULL)
)
cat("case,cov,name,coef,std_err\n")
for (case in cases) {
  d <- read(case[[1]])
  ref <- case[[4]]
  if (!is.null(ref)) d[[ref[1]]] <- relevel(factor(d[[ref[1]]]), ref = ref[2])
  m <- lm(case[[2]], data = d)  # na.action = na.omit: rows with an empty cell are dropped
  covs <- list(nonrobust = vcov(m), HC0 = vcovHC(m, type = "HC0"),
               HC1 = vcovHC(m, type = "HC1"), HC2 = vcovHC(m, type = "HC2"),
               HC3 = vcovHC(m, type = "HC3"))
  if (!is.na(case[[3]])) {
    covs$cluster <- vcovCL(m, cluster = as.formula(paste0("~", case[[3]])), type = "HC1")
  }
  for (kind in names(covs)) {
    se <- sqrt(diag(covs[[kind]]))
    for (k in seq_along(coef(m))) {
      cat(sprintf("%s,%s,\"%s\",%.17g,%.17g\n", case[[1]], kind, names(coef(m))[k],
                  coef(m)[k], se[k]))
    }
  }
}
