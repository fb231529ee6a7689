SELECT
  `t0`.`GLOBALEVENTID`,
  `t0`.`SQLDATE`,
  `t0`.`MonthYear`,
  `t0`.`Year`,
  `t0`.`FractionDate`,
  `t0`.`Actor1Code`,
  `t0`.`Actor1Name`,
  `t0`.`Actor1CountryCode`,
  `t0`.`Actor1KnownGroupCode`,
  `t0`.`Actor1EthnicCode`,
  `t0`.`Actor1Religion1Code`,
  `t0`.`Actor1Religion2Code`,
  `t0`.`Actor1Type1Code`,
  `t0`.`Actor1Type2Code`,
  `t0`.`Actor1Type3Code`,
  `t0`.`Actor2Code`,
  `t0`.`Actor2Name`,
  `t0`.`Actor2CountryCode`,
  `t0`.`Actor2KnownGroupCode`,
  `t0`.`Actor2EthnicCode`,
  `t0`.`Actor2Religion1Code`,
  `t0`.`Actor2Religion2Code`,
  `t0`.`Actor2Type1Code`,
  `t0`.`Actor2Type2Code`,
  `t0`.`Actor2Type3Code`,
  `t0`.`IsRootEvent`,
  `t0`.`EventCode`,
  `t0`.`EventBaseCode`,
  `t0`.`EventRootCode`,
  `t0`.`QuadClass`,
  `t0`.`GoldsteinScale`,
  `t0`.`NumMentions`,
  `t0`.`NumSources`,
  `t0`.`NumArticles`,
  `t0`.`AvgTone`,
  `t0`.`Actor1Geo_Type`,
  `t0`.`Actor1Geo_FullName`,
  `t0`.`Actor1Geo_CountryCode`,
  `t0`.`Actor1Geo_ADM1Code`,
  `t0`.`Actor1Geo_ADM2Code`,
  `t0`.`Actor1Geo_Lat`,
  `t0`.`Actor1Geo_Long`,
  `t0`.`Actor1Geo_FeatureID`,
  `t0`.`Actor2Geo_Type`,
  `t0`.`Actor2Geo_FullName`,
  `t0`.`Actor2Geo_CountryCode`,
  `t0`.`Actor2Geo_ADM1Code`,
  `t0`.`Actor2Geo_ADM2Code`,
  `t0`.`Actor2Geo_Lat`,
  `t0`.`Actor2Geo_Long`,
  `t0`.`Actor2Geo_FeatureID`,
  `t0`.`ActionGeo_Type`,
  `t0`.`ActionGeo_FullName`,
  `t0`.`ActionGeo_CountryCode`,
  `t0`.`ActionGeo_ADM1Code`,
  `t0`.`ActionGeo_ADM2Code`,
  `t0`.`ActionGeo_Lat`,
  `t0`.`ActionGeo_Long`,
  `t0`.`ActionGeo_FeatureID`,
  `t0`.`DATEADDED`,
  `t0`.`SOURCEURL`
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
ORDER BY
  `t0`.`GLOBALEVENTID` ASC NULLS LAST
