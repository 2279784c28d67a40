//! Built-in algorithm images.

/// A version of SageMaker's XGBoost container, as the SageMaker Python SDK's
/// image configuration lists it (`image_uri_config/xgboost.json`, training
/// scope; every version below is served from the same registries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XgboostVersion {
    /// `1.7-1`: still served, but takes no new versions; for models that
    /// must stay on it.
    V1_7_1,
    /// `3.0-5`: the maintained line, the default.
    #[default]
    V3_0_5,
    /// `3.2-0`.
    V3_2_0,
}

impl XgboostVersion {
    /// The image tag, e.g. `3.0-5`.
    pub fn tag(self) -> &'static str {
        match self {
            XgboostVersion::V1_7_1 => "1.7-1",
            XgboostVersion::V3_0_5 => "3.0-5",
            XgboostVersion::V3_2_0 => "3.2-0",
        }
    }
}

/// The ECR account that serves the SageMaker XGBoost images (`sagemaker-xgboost`)
/// in each region, from the SageMaker Python SDK's image URI configuration
/// (`image_uri_config/xgboost.json`, versions 0.90-1 and later).
const XGBOOST_REGISTRIES: &[(&str, &str)] = &[
    ("af-south-1", "510948584623"),
    ("ap-east-1", "651117190479"),
    ("ap-northeast-1", "354813040037"),
    ("ap-northeast-2", "366743142698"),
    ("ap-northeast-3", "867004704886"),
    ("ap-south-1", "720646828776"),
    ("ap-south-2", "628508329040"),
    ("ap-southeast-1", "121021644041"),
    ("ap-southeast-2", "783357654285"),
    ("ap-southeast-3", "951798379941"),
    ("ap-southeast-4", "106583098589"),
    ("ca-central-1", "341280168497"),
    ("ca-west-1", "190319476487"),
    ("eu-central-1", "492215442770"),
    ("eu-central-2", "680994064768"),
    ("eu-north-1", "662702820516"),
    ("eu-south-1", "978288397137"),
    ("eu-south-2", "104374241257"),
    ("eu-west-1", "141502667606"),
    ("eu-west-2", "764974769150"),
    ("eu-west-3", "659782779980"),
    ("il-central-1", "898809789911"),
    ("me-central-1", "272398656194"),
    ("me-south-1", "801668240914"),
    ("sa-east-1", "737474898029"),
    ("us-east-1", "683313688378"),
    ("us-east-2", "257758044811"),
    ("us-gov-east-1", "237065988967"),
    ("us-gov-west-1", "414596584902"),
    ("us-west-1", "746614075791"),
    ("us-west-2", "246618743249"),
];

/// An ECR image: registry account, region, repository, tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcrImage {
    /// The registry's 12-digit account.
    pub account: String,
    /// The registry's region.
    pub region: String,
    /// Repository name, e.g. `sagemaker-xgboost`.
    pub repository: String,
    /// Tag, or the digest for `…@sha256:…` URIs; `latest` when the URI has
    /// neither.
    pub tag: String,
}

impl EcrImage {
    /// Parse `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`.
    pub fn parse(uri: &str) -> Option<EcrImage> {
        let (host, rest) = uri.split_once('/')?;
        let mut parts = host.split('.');
        let account = parts.next()?;
        let (dkr, ecr, region) = (parts.next()?, parts.next()?, parts.next()?);
        let suffix: Vec<&str> = parts.collect();
        if dkr != "dkr" || ecr != "ecr" || suffix != ["amazonaws", "com"] {
            return None;
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (repository, tag) = match rest.split_once('@') {
            Some((r, digest)) => (r, digest),
            None => rest.rsplit_once(':').unwrap_or((rest, "latest")),
        };
        (!repository.is_empty()).then(|| EcrImage {
            account: account.to_string(),
            region: region.to_string(),
            repository: repository.to_string(),
            tag: tag.to_string(),
        })
    }

    /// The ARN of the image's repository, what a pull grant names.
    pub fn repository_arn(&self) -> mlcdk_core::Expr {
        mlcdk_core::Expr::sub(format!(
            "arn:${{AWS::Partition}}:ecr:{}:{}:repository/{}",
            self.region, self.account, self.repository
        ))
    }

    /// The image URI,
    /// `<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`.
    pub fn uri(&self) -> String {
        format!(
            "{}.dkr.ecr.{}.amazonaws.com/{}:{}",
            self.account, self.region, self.repository, self.tag
        )
    }
}

impl std::str::FromStr for EcrImage {
    type Err = String;

    /// [`EcrImage::parse`], with an error that names the value and the form.
    fn from_str(uri: &str) -> Result<EcrImage, String> {
        EcrImage::parse(uri).ok_or_else(|| {
            format!(
                "image '{uri}' is not an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
            )
        })
    }
}

impl TryFrom<&str> for EcrImage {
    type Error = String;
    fn try_from(uri: &str) -> Result<EcrImage, String> {
        uri.parse()
    }
}

impl std::fmt::Display for EcrImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.uri())
    }
}

impl serde::Serialize for EcrImage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.uri())
    }
}

impl<'de> serde::Deserialize<'de> for EcrImage {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EcrImage, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The XGBoost image of `version` for `region`, or an error naming the
/// regions served.
pub fn xgboost(region: &str, version: XgboostVersion) -> Result<EcrImage, String> {
    XGBOOST_REGISTRIES
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, account)| EcrImage {
            account: account.to_string(),
            region: region.to_string(),
            repository: "sagemaker-xgboost".into(),
            tag: version.tag().into(),
        })
        .ok_or_else(|| {
            format!(
                "no built-in XGBoost image is known for region '{region}' (known: {}); use Algorithm::Image with an ECR image URI",
                XGBOOST_REGISTRIES.iter().map(|(r, _)| *r).collect::<Vec<_>>().join(", ")
            )
        })
}

/// Regions SageMaker's scikit-learn image 1.2-1 is published in (SageMaker
/// Python SDK, `image_uri_config/sklearn.json`); its registry account in
/// each is the XGBoost image's ([`XGBOOST_REGISTRIES`]), region by region.
const SCIKIT_LEARN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-west-1",
    "us-west-2",
];

/// SageMaker's scikit-learn processing image (1.2-1, CPU, Python 3) for
/// `region`: Python with pandas, NumPy, SciPy and boto3, which mlcdk's
/// monitoring jobs run in; or an error naming the regions served.
pub fn scikit_learn(region: &str) -> Result<EcrImage, String> {
    SCIKIT_LEARN_REGIONS
        .contains(&region)
        .then(|| XGBOOST_REGISTRIES.iter().find(|(r, _)| *r == region))
        .flatten()
        .map(|(_, account)| EcrImage {
            account: account.to_string(),
            region: region.to_string(),
            repository: "sagemaker-scikit-learn".into(),
            tag: "1.2-1-cpu-py3".into(),
        })
        .ok_or_else(|| {
            format!(
                "no SageMaker scikit-learn image is known for region '{region}' (known: {})",
                SCIKIT_LEARN_REGIONS.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xgboost_by_region() {
        assert_eq!(
            xgboost("us-east-1", XgboostVersion::default())
                .unwrap()
                .uri(),
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
        );
        assert_eq!(
            xgboost("us-east-1", XgboostVersion::V1_7_1).unwrap().tag,
            "1.7-1"
        );
        assert_eq!(
            xgboost("eu-west-1", XgboostVersion::V3_2_0)
                .unwrap()
                .account,
            "141502667606"
        );
        assert!(
            xgboost("mars-north-1", XgboostVersion::default())
                .unwrap_err()
                .contains("no built-in XGBoost image is known for region 'mars-north-1'")
        );
    }

    #[test]
    fn scikit_learn_by_region() {
        assert_eq!(
            scikit_learn("us-east-1").unwrap().uri(),
            "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
        );
        assert_eq!(scikit_learn("eu-west-1").unwrap().account, "141502667606");
        // XGBoost is there, scikit-learn 1.2-1 is not.
        assert!(
            scikit_learn("il-central-1")
                .unwrap_err()
                .contains("'il-central-1'")
        );
        for r in SCIKIT_LEARN_REGIONS {
            assert!(scikit_learn(r).is_ok(), "{r}");
        }
    }

    #[test]
    fn parses_ecr_uris() {
        let i = EcrImage::parse("111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/churn:2024-01")
            .unwrap();
        assert_eq!(
            (i.repository.as_str(), i.tag.as_str(), i.region.as_str()),
            ("team/churn", "2024-01", "eu-west-1")
        );
        assert!(EcrImage::parse("docker.io/library/python:3").is_none());
        assert!(
            "python:3"
                .parse::<EcrImage>()
                .unwrap_err()
                .contains("image 'python:3' is not an ECR image URI")
        );
        assert!(EcrImage::parse("1.dkr.ecr.us-east-1.amazonaws.com/x:1").is_none());
        assert_eq!(
            EcrImage::parse("111111111111.dkr.ecr.us-east-1.amazonaws.com/x")
                .unwrap()
                .tag,
            "latest"
        );
    }
}
