//! The words of the back office in its two languages: simplified Chinese (the default, the
//! words users see on forms and reports) and English. A page asks for a key; a test
//! checks that every key a template uses is here.

use axum::http::HeaderMap;

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "onsite_lang";

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of the page.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language a request asks for: `?lang=` first, then the cookie, else Chinese.
    pub fn of(query: Option<&str>, headers: &HeaderMap) -> (Lang, bool) {
        if let Some(lang) = query.and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.strip_prefix("lang="))
                .find_map(Lang::parse)
        }) {
            return (lang, true);
        }
        let from_cookie =
            super::session::cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v));
        (from_cookie.unwrap_or(Lang::Zh), false)
    }

    /// The text of `key`; the key itself when there is none (a test keeps that from
    /// happening).
    pub fn t(self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => "?",
        }
    }

    /// The label of a value that has one (a status, a review state, a role…), or the
    /// value itself.
    pub fn label(self, kind: &str, value: &str) -> String {
        let key = format!("{kind}.{value}");
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh.to_string(),
                Lang::En => en.to_string(),
            },
            None => value.to_string(),
        }
    }

    /// The label of a form item: the built-in template's, or its id.
    pub fn item(self, item_id: &str) -> String {
        match onsite_domain::forms::item_labels(item_id) {
            Some(i) => match self {
                Lang::Zh => i.label_zh.to_string(),
                Lang::En => i.label_en.to_string(),
            },
            None => item_id.to_string(),
        }
    }

    /// A level of the five-level scale, by its points, in this language.
    pub fn level(self, points: i64) -> String {
        match onsite_domain::forms::Level::from_points(points) {
            Some(level) => match self {
                Lang::Zh => level.label_zh().to_string(),
                Lang::En => level.label_en().to_string(),
            },
            None => points.to_string(),
        }
    }
}

/// (key, 中文, English).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app", "Onsite 售后服务", "Onsite after-sales"),
    ("lang_switch", "English", "中文"),
    ("signin", "登录", "Sign in"),
    ("signout", "退出登录", "Sign out"),
    ("username", "用户名", "User name"),
    ("password", "密码", "Password"),
    (
        "signin_failed",
        "用户名或密码错误，或账户已停用",
        "Wrong user name or password, or the account is disabled",
    ),
    (
        "technician_refused",
        "维修技术员请使用手机应用；后台网页仅供售后服务部和管理员使用。",
        "Technicians work in the phone app; the web back office is for the back office and administrators.",
    ),
    ("signed_out", "已退出登录", "Signed out"),
    (
        "session_ended",
        "会话已结束，请重新登录",
        "Your session ended; please sign in again",
    ),
    ("nav.board", "派工看板", "Dispatch board"),
    ("nav.new_job", "新建工单", "New job"),
    ("nav.review", "审核", "Review"),
    ("nav.satisfaction", "满意度", "Satisfaction"),
    ("nav.service_levels", "服务时效", "Service levels"),
    ("nav.accounts", "账户", "Accounts"),
    ("job", "工单", "Job"),
    ("jobs", "工单", "Jobs"),
    ("status", "状态", "Status"),
    ("review_state", "审核", "Review"),
    ("technician", "维修技术员", "Technician"),
    ("unassigned", "未派工", "Unassigned"),
    ("customer", "客户", "Customer"),
    ("phone", "电话", "Phone"),
    ("address", "地址", "Address"),
    ("tier", "客户等级", "Tier"),
    ("region", "区域", "Region"),
    ("site_distance", "距离", "Site distance"),
    ("product", "产品", "Product"),
    ("model", "产品型号", "Model"),
    ("serial", "序列号", "Serial number"),
    ("purchase_date", "购买日期", "Purchase date"),
    ("fault", "故障现象", "Fault as reported"),
    ("complaint", "投诉", "Complaint"),
    ("dap", "DAP（购买15天内故障）", "DAP (dead after purchase)"),
    ("reported_at", "报修时间", "Reported"),
    ("completed_at", "完工时间", "Completed"),
    ("yes", "是", "yes"),
    ("no", "否", "no"),
    ("any", "全部", "any"),
    ("filter", "筛选", "Filter"),
    ("open", "打开", "Open"),
    ("none_found", "没有符合条件的工单", "No job matches"),
    ("by_technician", "按技术员", "By technician"),
    ("by_status", "按状态", "By status"),
    ("assign", "派工", "Assign"),
    ("reassign", "改派", "Reassign"),
    ("cancel_job", "取消工单", "Cancel the job"),
    ("create_job", "创建工单", "Create the job"),
    (
        "search_customer",
        "查找客户（姓名或电话）",
        "Find a customer (name or phone)",
    ),
    ("search", "查找", "Search"),
    ("new_customer", "新客户", "New customer"),
    ("registered_customer", "已登记客户", "Registered customer"),
    ("job_created", "工单已创建", "The job was created"),
    ("job_assigned", "已派工", "Assigned"),
    ("job_cancelled", "工单已取消", "The job was cancelled"),
    ("timeline", "时间线", "Timeline"),
    ("received", "服务器收到", "Received"),
    ("by", "操作人", "By"),
    ("when", "时间", "When"),
    ("clocks", "服务时效", "Service clocks"),
    ("clock", "时效", "Clock"),
    ("measured", "实际", "Measured"),
    ("target", "目标", "Target"),
    ("met", "达标", "Met"),
    ("clock.response", "响应", "Response"),
    ("clock.arrival", "到场", "Arrival"),
    ("clock.diagnosis", "诊断", "Diagnosis"),
    ("clock.handling", "服务问题处理", "Handling"),
    ("parts", "配件", "Parts"),
    ("sku", "编号", "SKU"),
    ("name", "名称", "Name"),
    ("quantity", "数量", "Quantity"),
    ("billable", "收费", "Billable"),
    ("warranty", "保修", "Warranty"),
    ("forms", "满意度调查表", "Satisfaction forms"),
    ("item", "项目", "Item"),
    ("answer", "评价", "Answer"),
    ("points", "分值", "Points"),
    ("comment", "意见", "Comment"),
    ("suggestion", "建议", "Suggestion"),
    ("submitted", "提交", "Submitted"),
    ("respondent.survey", "客户调查", "Customer survey"),
    ("respondent.self", "自评", "Self-assessment"),
    ("respondent.callback", "回访", "Callback"),
    ("degree", "满意度", "Satisfaction degree"),
    ("rate", "满意率", "Satisfaction rate"),
    ("overall", "综合", "Overall"),
    ("history", "修改记录", "Edit history"),
    ("device", "设备", "Device"),
    ("change", "修改", "Change"),
    ("reviews", "审核记录", "Review decisions"),
    ("decision", "结论", "Decision"),
    ("approve", "审核通过", "Approve"),
    ("return", "退回", "Return"),
    (
        "return_comment",
        "退回意见（退回时必填）",
        "Comment (needed to return)",
    ),
    (
        "review_done",
        "审核结论已保存，将随同步送达设备",
        "The decision is saved; the device gets it when it syncs",
    ),
    ("period", "期间", "Period"),
    ("month", "月份", "Month"),
    ("from", "从", "From"),
    ("to", "到", "To"),
    ("group_by", "分组", "Group by"),
    ("show", "显示", "Show"),
    ("self_assessment", "自评", "Self-assessment"),
    ("survey", "客户调查", "Survey"),
    ("all", "全部", "All"),
    ("answered", "评价项数", "Answers"),
    ("groups", "分组", "Groups"),
    ("items", "各项目", "Items"),
    ("lowest_items", "得分最低的项目", "Lowest items"),
    ("previous_period", "上期", "Previous period"),
    ("change_points", "变化（百分点）", "Change (points)"),
    ("download", "下载", "Download"),
    ("group.none", "不分组", "none"),
    ("group.technician", "技术员", "technician"),
    ("group.customer_tier", "客户等级", "customer tier"),
    ("group.product_model", "产品型号", "product model"),
    ("group.region", "区域", "region"),
    ("group.month", "月份", "month"),
    ("share", "达标率", "Share met"),
    ("average", "平均", "Average"),
    ("jobs_count", "工单数", "Jobs"),
    ("accounts", "账户", "Accounts"),
    ("display_name", "显示名", "Display name"),
    ("role", "角色", "Role"),
    ("disabled", "已停用", "Disabled"),
    ("active", "正常", "Active"),
    ("create_account", "创建账户", "Create the account"),
    ("change_role", "修改角色", "Change the role"),
    ("disable", "停用", "Disable"),
    ("enable", "启用", "Enable"),
    ("reset_password", "重置密码", "Reset the password"),
    (
        "new_password",
        "新密码（至少8位）",
        "New password (8 characters or more)",
    ),
    ("devices", "设备", "Devices"),
    ("first_seen", "首次使用", "First seen"),
    ("last_seen", "最近使用", "Last seen"),
    ("revoked", "已吊销", "Revoked"),
    ("wiped", "远程擦除", "Remote wipe"),
    ("sessions", "有效登录", "Active sign-ins"),
    ("revoke", "吊销", "Revoke"),
    ("revoke_wipe", "吊销并远程擦除", "Revoke and wipe"),
    ("browser", "浏览器", "browser"),
    ("account_saved", "账户已保存", "The account is saved"),
    ("device_revoked", "设备已吊销", "The device is revoked"),
    ("role.technician", "维修技术员", "Technician"),
    ("role.back_office", "售后服务部", "Back office"),
    ("role.admin", "管理员", "Administrator"),
    ("status.new", "新建", "New"),
    ("status.assigned", "已派工", "Assigned"),
    ("status.accepted", "已接单", "Accepted"),
    ("status.en_route", "在途", "En route"),
    ("status.on_site", "已到场", "On site"),
    ("status.diagnosed", "已诊断", "Diagnosed"),
    ("status.repaired", "已修复", "Repaired"),
    ("status.completed", "已完工", "Completed"),
    ("status.cancelled", "已取消", "Cancelled"),
    ("review.not_submitted", "未提交", "Not submitted"),
    ("review.pending", "待审核", "Pending"),
    ("review.approved", "已通过", "Approved"),
    ("review.returned", "已退回", "Returned"),
    ("decision.approved", "审核通过", "Approved"),
    ("decision.returned", "退回", "Returned"),
    ("event.reported", "报修", "Reported"),
    ("event.assigned", "派工", "Assigned"),
    ("event.accepted", "接单", "Accepted"),
    ("event.en_route", "出发", "En route"),
    ("event.on_site", "到场", "On site"),
    ("event.diagnosed", "诊断", "Diagnosed"),
    ("event.repaired", "修复", "Repaired"),
    ("event.completed", "完工", "Completed"),
    ("event.cancelled", "取消", "Cancelled"),
    ("tier.key", "重点客户", "key"),
    ("tier.general", "一般客户", "general"),
    ("distance.near", "近", "near"),
    ("distance.far", "远", "far"),
    (
        "live_hint",
        "新建和变更的工单会自动出现",
        "New and changed jobs appear by themselves",
    ),
    ("nav.corrective", "纠正措施", "Corrective actions"),
    ("action_open", "未验证", "Not verified"),
    ("owner", "责任人", "Owner"),
    ("department", "责任部门", "Department"),
    ("due_date", "完成期限", "Due date"),
    ("verification", "验证", "Verification"),
    ("overdue", "已逾期", "Overdue"),
    ("save", "保存", "Save"),
    (
        "action_saved",
        "纠正措施已保存",
        "The corrective action is saved",
    ),
    ("action.open", "待处理", "Open"),
    ("action.in_progress", "处理中", "In progress"),
    ("action.done", "已完成", "Done"),
    ("action.verified", "已验证", "Verified"),
    ("nav.callback", "回访", "Callbacks"),
    ("to_call", "待回访", "Still to call"),
    ("called", "已回访", "called"),
    ("record_call", "记录回访", "Record the call"),
    ("no_answer", "未答", "No answer"),
    (
        "callback_recorded",
        "回访已记录",
        "The callback is recorded",
    ),
    ("nav.parts", "配件", "Parts"),
    ("consumption", "配件消耗", "Consumption"),
    ("remaining", "剩余系数", "Remaining coefficient"),
    ("van_stock", "车载库存", "Van stock"),
    ("bought", "采购", "Bought"),
    ("used", "已用", "Used"),
    ("left", "剩余", "Left"),
    ("restocked", "补货", "Restocked"),
    ("balance", "结存", "Balance"),
    ("negative", "负库存", "Negative"),
    ("cost", "金额", "Cost"),
    ("trend", "月度趋势", "Monthly trend"),
    ("nav.surveys", "例行调查", "Routine surveys"),
    ("title", "标题", "Title"),
    ("round", "轮次", "Round"),
    ("returned_forms", "回收问卷", "Returned forms"),
    ("validity", "有效性", "Validity"),
    ("valid", "有效", "valid"),
    ("not_valid", "样本不足", "too few forms"),
    ("competitors", "竞争对手比较", "Competitor comparison"),
    ("competitor", "竞争对手", "Competitor"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t("…")` of every template names a text of [`TEXTS`], and no key is there twice.
    #[test]
    fn every_key_the_templates_use_is_translated() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            for part in source.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or_default();
                if !TEXTS.iter().any(|(k, _, _)| *k == key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "no text for {missing:?}");
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "a key is given twice");
    }

    #[test]
    fn chinese_is_the_default_and_english_can_be_asked_for() {
        let none = HeaderMap::new();
        assert_eq!(Lang::of(None, &none), (Lang::Zh, false));
        assert_eq!(Lang::of(Some("a=1&lang=en"), &none), (Lang::En, true));
        let mut cookie = HeaderMap::new();
        cookie.insert("cookie", "x=1; onsite_lang=en".parse().unwrap());
        assert_eq!(Lang::of(None, &cookie), (Lang::En, false));
        assert_eq!(Lang::En.level(6), "basically satisfied");
        assert_eq!(Lang::Zh.level(2), "很不满意");
    }
}
