# RAF-DB basic, official release layout (labels 1..7 -> 0..6 = Surprise, Fear, Disgust, Happiness,
# Sadness, Anger, Neutral):
#   data/RAF-DB/EmoLabel/list_patition_label.txt, data/RAF-DB/Image/aligned/*_aligned.jpg
# For the ImageFolder layout of the official ORSANet code set
# layout='folder', data_prefix='train' / 'test'. Occlusion / pose subsets (RAN lists), e.g.:
#   test_dataloader = dict(dataset=dict(tag_files=dict(
#       occlusion='lists/RAF_DB_dir_rafdb_occlusion_list.txt',
#       pose30=dict(file='lists/RAF_DB_dir_val_raf_db_list.txt',
#                   label_file='lists/RAF_DB_dir_val_raf_db_label.txt'))))
_base_ = ['./fer_pipelines.py']
dataset = dict(type='RAFDB', data_root='data/RAF-DB')
train_dataloader = dict(dataset=dict(dataset, split='train'))
val_dataloader = test_dataloader = dict(dataset=dict(dataset, split='test'))
