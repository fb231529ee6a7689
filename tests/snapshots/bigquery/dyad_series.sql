SELECT
  `t3`.`period`,
  `t3`.`doer`,
  `t3`.`target`,
  `t3`.`verbal_events`,
  `t3`.`material_events`,
  `t3`.`verbal_mentions`,
  `t3`.`material_mentions`,
  `t3`.`verbal_goldstein`,
  `t3`.`material_goldstein`,
  `t3`.`verbal_cooperation`,
  `t3`.`material_cooperation`,
  `t3`.`verbal_goldstein` - `t3`.`material_goldstein` AS `gap_goldstein`,
  `t3`.`verbal_cooperation` - `t3`.`material_cooperation` AS `gap_cooperation`
FROM (
  SELECT
    `t2`.`period`,
    `t2`.`doer`,
    `t2`.`target`,
    `t2`.`verbal_events`,
    `t2`.`material_events`,
    `t2`.`verbal_mentions`,
    `t2`.`material_mentions`,
    `t2`.`_verbal_wg`,
    `t2`.`_material_wg`,
    `t2`.`_verbal_coop`,
    `t2`.`_material_coop`,
    IF(
      `t2`.`verbal_mentions` > 0,
      ieee_divide(`t2`.`_verbal_wg`, `t2`.`verbal_mentions`),
      NULL
    ) AS `verbal_goldstein`,
    IF(
      `t2`.`material_mentions` > 0,
      ieee_divide(`t2`.`_material_wg`, `t2`.`material_mentions`),
      NULL
    ) AS `material_goldstein`,
    IF(
      `t2`.`verbal_events` > 0,
      ieee_divide(CAST(`t2`.`_verbal_coop` AS FLOAT64), CAST(`t2`.`verbal_events` AS FLOAT64)),
      NULL
    ) AS `verbal_cooperation`,
    IF(
      `t2`.`material_events` > 0,
      ieee_divide(CAST(`t2`.`_material_coop` AS FLOAT64), CAST(`t2`.`material_events` AS FLOAT64)),
      NULL
    ) AS `material_cooperation`
  FROM (
    SELECT
      `t1`.`period`,
      `t1`.`doer`,
      `t1`.`target`,
      COUNT(IF(`t1`.`QuadClass` IN (1, 3), `t1`.`QuadClass`, NULL)) AS `verbal_events`,
      COUNT(IF(`t1`.`QuadClass` IN (2, 4), `t1`.`QuadClass`, NULL)) AS `material_events`,
      SUM(IF(`t1`.`QuadClass` IN (1, 3), `t1`.`w`, NULL)) AS `verbal_mentions`,
      SUM(IF(`t1`.`QuadClass` IN (2, 4), `t1`.`w`, NULL)) AS `material_mentions`,
      SUM(IF(`t1`.`QuadClass` IN (1, 3), `t1`.`wg`, NULL)) AS `_verbal_wg`,
      SUM(IF(`t1`.`QuadClass` IN (2, 4), `t1`.`wg`, NULL)) AS `_material_wg`,
      COUNT(IF(`t1`.`QuadClass` = 1, `t1`.`QuadClass`, NULL)) AS `_verbal_coop`,
      COUNT(IF(`t1`.`QuadClass` = 2, `t1`.`QuadClass`, NULL)) AS `_material_coop`
    FROM (
      SELECT
        `t0`.`SQLDATE`,
        `t0`.`Actor1CountryCode`,
        `t0`.`Actor2CountryCode`,
        `t0`.`QuadClass`,
        `t0`.`GoldsteinScale`,
        `t0`.`NumMentions`,
        DATE_TRUNC(
          DATE(
            CAST(FLOOR(ieee_divide(`t0`.`SQLDATE`, 10000)) AS INT64),
            MOD(CAST(FLOOR(ieee_divide(`t0`.`SQLDATE`, 100)) AS INT64), 100),
            MOD(`t0`.`SQLDATE`, 100)
          ),
          MONTH
        ) AS `period`,
        `t0`.`Actor1CountryCode` AS `doer`,
        `t0`.`Actor2CountryCode` AS `target`,
        CAST(`t0`.`NumMentions` AS FLOAT64) AS `w`,
        CAST(`t0`.`NumMentions` AS FLOAT64) * `t0`.`GoldsteinScale` AS `wg`
      FROM `gdelt-bq`.`gdeltv2`.`events_partitioned` AS `t0`
      WHERE
        `t0`.`_PARTITIONTIME` >= TIMESTAMP('2019-09-30T00:00:00+00:00')
        AND `t0`.`_PARTITIONTIME` < TIMESTAMP('2020-02-01T00:00:00+00:00')
        AND `t0`.`SQLDATE` BETWEEN 20191001 AND 20191231
        AND (
          (
            (
              `t0`.`Actor1CountryCode` = 'RUS'
            ) AND (
              `t0`.`Actor2CountryCode` = 'IRN'
            )
          )
          OR (
            (
              `t0`.`Actor1CountryCode` = 'IRN'
            ) AND (
              `t0`.`Actor2CountryCode` = 'RUS'
            )
          )
        )
    ) AS `t1`
    GROUP BY
      1,
      2,
      3
  ) AS `t2`
) AS `t3`
ORDER BY
  `t3`.`doer` ASC NULLS LAST,
  `t3`.`period` ASC NULLS LAST
